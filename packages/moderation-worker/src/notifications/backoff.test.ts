import { describe, expect, it } from 'vitest';
import {
  DELIVERY_SCHEDULE_MS,
  MAX_RETRY_AFTER_MS,
  parseRetryAfterBody,
  parseRetryAfterHeader,
  retryDelayMs,
} from './backoff.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('retry schedule', () => {
  it("follows production's schedule per attempt and repeats its last step for ever", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 50, 10_000].map((attempt) => retryDelayMs(attempt));
    expect(delays).toEqual([15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 600_000, 600_000, 600_000]);
    expect(delays.at(-1)).toBe(DELIVERY_SCHEDULE_MS.at(-1));
  });

  it('treats an attempt count below one as the first attempt', () => {
    expect(retryDelayMs(0)).toBe(15_000);
  });

  it('prefers a server Retry-After, clamped to an hour', () => {
    expect(retryDelayMs(4, 1_500)).toBe(1_500);
    expect(retryDelayMs(1, 0)).toBe(0);
    expect(retryDelayMs(6, 10 * MAX_RETRY_AFTER_MS)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('Retry-After parsing', () => {
  it('reads delay-seconds, whole or fractional', () => {
    expect(parseRetryAfterHeader('7', NOW)).toBe(7_000);
    expect(parseRetryAfterHeader(' 1.25 ', NOW)).toBe(1_250);
    expect(parseRetryAfterHeader(['3', '9'], NOW)).toBe(3_000);
  });

  it('reads an HTTP date relative to now, and a past date as no wait', () => {
    expect(parseRetryAfterHeader('Sun, 01 Mar 2026 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfterHeader('Sun, 01 Mar 2026 11:00:00 GMT', NOW)).toBe(0);
  });

  it('treats an absent or unreadable header as none', () => {
    expect(parseRetryAfterHeader(undefined, NOW)).toBeNull();
    expect(parseRetryAfterHeader('', NOW)).toBeNull();
    expect(parseRetryAfterHeader('-5', NOW)).toBeNull();
    expect(parseRetryAfterHeader('soon', NOW)).toBeNull();
    expect(parseRetryAfterHeader('2026', NOW)).toBe(2_026_000);
  });

  it("reads Discord's JSON retry_after in float seconds", () => {
    expect(
      parseRetryAfterBody('{"message":"You are being rate limited.","retry_after":0.512,"global":false}'),
    ).toBe(512);
    expect(parseRetryAfterBody('{"retry_after":3}')).toBe(3_000);
  });

  it('treats a body without a usable retry_after as none', () => {
    expect(parseRetryAfterBody('')).toBeNull();
    expect(parseRetryAfterBody('<html>slow down</html>')).toBeNull();
    expect(parseRetryAfterBody('{"retry_after":"3"}')).toBeNull();
    expect(parseRetryAfterBody('{"retry_after":-1}')).toBeNull();
    expect(parseRetryAfterBody('null')).toBeNull();
  });
});
