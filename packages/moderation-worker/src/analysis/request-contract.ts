// A request the engine's contract refuses is never sent: the client's own request schema decides.
import { type AnalyzeRequest, analyzeRequestSchema } from '@geoduels/risk-client/signals';

/** Why a match's request was not sent (the run row's last_failure starts with it). */
export type UnsendableReason = 'too_many_players' | 'too_many_events' | 'invalid_request';

/** What makes a request unsendable: a named reason and the contract's words. */
export interface UnsendableRequest {
  reason: UnsendableReason;
  detail: string;
}

/**
 * Null when `request` is within contract v1 (analyzeRequestSchema); otherwise its first problem,
 * named: more players than the contract allows (64), more events for a player (50), or anything else.
 */
export function unsendableRequest(request: AnalyzeRequest): UnsendableRequest | null {
  const parsed = analyzeRequestSchema.safeParse(request);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.join('.');
  const reason: UnsendableReason =
    issue.code === 'too_big' && path === 'players'
      ? 'too_many_players'
      : issue.code === 'too_big' && /^players\.\d+\.events$/.test(path)
        ? 'too_many_events'
        : 'invalid_request';
  const count = issue.code === 'too_big' ? ` (${countAt(request, issue.path)} sent)` : '';
  return { reason, detail: `${reason}: ${path || 'request'}: ${issue.message}${count}` };
}

function countAt(request: AnalyzeRequest, path: PropertyKey[]): number {
  let value: unknown = request;
  for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  return Array.isArray(value) ? value.length : 0;
}
