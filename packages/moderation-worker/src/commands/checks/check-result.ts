/** The outcome of one post-deploy check: `skip` is informational (e.g. the engine is disabled). */
export type CheckStatus = 'ok' | 'fail' | 'skip';

/** One row of the `check` table. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
}

/** A passing row. */
export function passed(name: string, detail: string): CheckResult {
  return { name, status: 'ok', detail };
}

/** A failing row. */
export function failed(name: string, detail: string): CheckResult {
  return { name, status: 'fail', detail };
}

/** A row that was not checked, with why. */
export function skipped(name: string, detail: string): CheckResult {
  return { name, status: 'skip', detail };
}

/** A caught error as a short single line, for a table cell. */
export function describeError(error: unknown): string {
  const err = error as { code?: unknown; message?: unknown; errors?: unknown };
  // AggregateError (e.g. a refused dual-stack connect) has an empty message; its parts say why.
  if (Array.isArray(err.errors) && err.errors.length > 0 && !err.message) return describeError(err.errors[0]);
  const message = typeof err.message === 'string' && err.message !== '' ? err.message : String(error);
  const code = typeof err.code === 'string' && !message.includes(err.code) ? ` (${err.code})` : '';
  return `${message}${code}`.replace(/\s+/g, ' ').trim();
}
