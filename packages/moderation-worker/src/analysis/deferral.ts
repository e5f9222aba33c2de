// Pure rules for when a job runs again: after an engine outage (deferral) or a database error (retry).

/** Capped exponential backoff; `jitter` (0..1) is the share of the delay that is randomised. */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  jitter: number;
}

/** Deferral after an unavailable engine: 5 s doubling up to 5 min. */
export const DEFERRAL_BACKOFF: BackoffPolicy = { baseMs: 5_000, capMs: 5 * 60_000, jitter: 0.5 };
/** Retry after a database error: 1 s doubling up to 10 min (25 attempts outlast a multi-hour outage). */
export const DATABASE_RETRY_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 10 * 60_000, jitter: 0.5 };
/** How long the worker pauses when the breaker is open but did not say until when. */
export const DEFAULT_BREAKER_PAUSE_MS = 5_000;

/**
 * The delay before attempt `attempt + 1` (attempt counts from 1): exponential, capped, with
 * `jitter` of it randomised so a fleet does not retry in lockstep; never shorter than `retryAfterMs`.
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
  retryAfterMs = 0,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  const delay = ceiling * (1 - policy.jitter) + ceiling * policy.jitter * random();
  return Math.round(Math.max(delay, retryAfterMs));
}

/**
 * The deferral window of a match opens at the later of its first sighting and this enqueue (so a
 * backfill re-enqueue gets a fresh window); it is over once `maxDeferMs` has passed.
 */
export function deferralExpired(firstSeenAt: Date, enqueuedAt: Date, now: Date, maxDeferMs: number): boolean {
  const windowStart = Math.max(firstSeenAt.getTime(), enqueuedAt.getTime());
  return now.getTime() - windowStart >= maxDeferMs;
}
