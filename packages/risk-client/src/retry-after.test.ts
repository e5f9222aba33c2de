import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from './retry-after.js';

const NOW = Date.parse('2026-03-04T05:06:07Z');

describe('parseRetryAfter', () => {
  it.each<[string | string[] | undefined, number | undefined]>([
    ['120', 120_000],
    ['0', 0],
    [' 7 ', 7_000],
    [['3', '9'], 3_000],
    ['Wed, 04 Mar 2026 05:06:37 GMT', 30_000],
    ['Wednesday, 04-Mar-26 05:07:07 GMT', 60_000],
    ['Wed, 04 Mar 2026 05:00:00 GMT', 0],
    ['999999', MAX_RETRY_AFTER_MS],
    ['Thu, 01 Jan 2099 00:00:00 GMT', MAX_RETRY_AFTER_MS],
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as %j ms', (header, expected) => {
    expect(parseRetryAfter(header, NOW)).toBe(expected);
  });
});
