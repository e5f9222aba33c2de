/** Upper bound for a `Retry-After` delay; a hostile or buggy header cannot park work for days. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

const SECONDS = /^\d+$/;

/**
 * Parses `Retry-After` (delay-seconds or an HTTP-date) into milliseconds from `nowMs`, clamped to
 * [0, maxMs]. Returns undefined when the header is absent or unparseable.
 */
export function parseRetryAfter(
  header: string | string[] | undefined,
  nowMs: number,
  maxMs: number = MAX_RETRY_AFTER_MS,
): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (value === undefined || value === '') return undefined;
  let delayMs: number;
  if (SECONDS.test(value)) {
    delayMs = Number(value) * 1000;
  } else {
    // HTTP-date (IMF-fixdate, or the obsolete RFC 850 / asctime forms that Date.parse also reads).
    const at = Date.parse(value);
    if (Number.isNaN(at) || !/[a-z]/i.test(value)) return undefined;
    delayMs = at - nowMs;
  }
  return Math.min(Math.max(delayMs, 0), maxMs);
}
