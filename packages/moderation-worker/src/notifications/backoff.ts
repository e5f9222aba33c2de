// When to try a notification again. Pure functions of the attempt number and the webhook's
// answer, so the schedule is testable without a clock.

/**
 * Delays (ms) before the next attempt after a failed delivery, by attempt (production's
 * schedule). The last step repeats for as long as it takes: there is no maximum attempt count.
 */
export const DELIVERY_SCHEDULE_MS = [15_000, 30_000, 60_000, 120_000, 300_000, 600_000] as const;

/** How far a row whose payload cannot be read is pushed out: kept for repair, never dropped. */
export const INVALID_PAYLOAD_DELAY_MS = 86_400_000;

/** Longest Retry-After honoured; a larger value is clamped so a row is never parked for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Delay before the next attempt after `attempts` attempts (1 = the first one failed).
 * A server-given Retry-After wins over the schedule.
 */
export function retryDelayMs(attempts: number, retryAfterMs: number | null = null): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
  const index = Math.min(Math.max(attempts, 1), DELIVERY_SCHEDULE_MS.length) - 1;
  return DELIVERY_SCHEDULE_MS[index]!;
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
