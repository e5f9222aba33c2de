// When to try a notification again. Pure functions of the attempt number and the webhook's
// answer, so the schedule is testable without a clock.

/** Retry delays (ms) for transient failures: 429, 5xx, timeouts, network errors. Capped at the last. */
export const TRANSIENT_SCHEDULE_MS = [5_000, 15_000, 30_000, 60_000, 120_000, 300_000] as const;

/**
 * Retry delays (ms) for 4xx other than 429 (a wrong or deleted webhook, a rejected body): it will
 * not fix itself quickly, so it is retried rarely, never in a tight loop. Capped at the last.
 */
export const LONG_SCHEDULE_MS = [900_000, 3_600_000, 21_600_000, 86_400_000] as const;

/** Longest Retry-After honoured; a larger value is clamped so a row is never parked for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** How a failed attempt should be retried. */
export type RetryClass = 'transient' | 'long';

/**
 * Delay before the next attempt after `attempts` failed attempts (1 = the first failure).
 * A server-given Retry-After wins over the schedule for transient failures.
 */
export function retryDelayMs(
  retryClass: RetryClass,
  attempts: number,
  retryAfterMs: number | null = null,
): number {
  if (retryClass === 'transient' && retryAfterMs !== null) return Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
  const schedule = retryClass === 'transient' ? TRANSIENT_SCHEDULE_MS : LONG_SCHEDULE_MS;
  const index = Math.min(Math.max(attempts, 1), schedule.length) - 1;
  return schedule[index]!;
}

/**
 * Parses a Retry-After header: delay-seconds (`"3"`, Discord also sends `"1.5"`) or an HTTP date.
 * Returns milliseconds from `nowMs`, 0 for a past date, null when absent or unreadable.
 */
export function parseRetryAfterHeader(value: string | string[] | undefined, nowMs: number): number | null {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return null;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw) * 1000);
  const date = Date.parse(raw);
  if (Number.isNaN(date) || !/[a-z]/i.test(raw)) return null;
  return Math.max(0, date - nowMs);
}

/** Reads Discord's JSON rate-limit body (`{"retry_after": 1.234}`, seconds) as milliseconds, or null. */
export function parseRetryAfterBody(body: string): number | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const seconds = (parsed as { retry_after?: unknown }).retry_after;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return null;
  return Math.ceil(seconds * 1000);
}
