import { type AnalyzeRequest, analyzeRequestSchema } from '@geoduels/risk-client/signals';

/** A checked request, or the first invalid field (e.g. `players[0].events[3].occurredAt`). */
export type Validated = { ok: true; request: AnalyzeRequest } | { ok: false; field: string; detail: string };

/** Formats a schema path as `a.b[0].c`; `$` is the whole body. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '$' : out;
}

/** Validates a parsed body against contract v1 (the client's schema; never re-declared here). */
export function validateAnalyzeRequest(body: unknown): Validated {
  const parsed = analyzeRequestSchema.safeParse(body);
  if (parsed.success) return { ok: true, request: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, field: formatPath(issue.path), detail: issue.message };
}
