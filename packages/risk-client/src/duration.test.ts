import { describe, expect, it } from 'vitest';
import { MAX_DURATION_MS, parseGoDuration } from './duration.js';
import { DurationError, type DurationProblem } from './errors.js';

describe('parseGoDuration', () => {
  it.each([
    ['750ms', 750],
    ['1s', 1000],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['2h45m', 9_900_000],
    ['300us', 0.3],
    ['300µs', 0.3],
    ['300μs', 0.3],
    ['1500000ns', 1.5],
    ['+2s', 2000],
    ['.5s', 500],
    ['1.s', 1000],
    ['1h0m0.25s', 3_600_250],
    ['0.001s', 1],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each<[string, DurationProblem]>([
    ['', 'empty'],
    ['0', 'zero'],
    ['-0', 'zero'],
    ['0s', 'zero'],
    ['0h0m', 'zero'],
    ['0.0000000001s', 'zero'],
    ['-1s', 'negative'],
    ['-750ms', 'negative'],
    ['750', 'missing_unit'],
    ['1s30', 'missing_unit'],
    ['1d', 'unknown_unit'],
    ['5 s', 'unknown_unit'],
    ['1S', 'unknown_unit'],
    ['abc', 'malformed'],
    ['.s', 'malformed'],
    ['-', 'malformed'],
    [' 1s', 'malformed'],
    ['1s ', 'unknown_unit'],
    ['25d', 'unknown_unit'],
    ['600h', 'too_large'],
  ])('rejects %j as %s', (text, problem) => {
    let thrown: unknown;
    try {
      parseGoDuration(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DurationError);
    expect((thrown as DurationError).problem).toBe(problem);
    expect((thrown as DurationError).message).not.toBe('');
  });

  it('accepts the longest duration a timer can wait for and nothing longer', () => {
    expect(parseGoDuration(`${MAX_DURATION_MS}ms`)).toBe(MAX_DURATION_MS);
    expect(() => parseGoDuration(`${MAX_DURATION_MS + 1}ms`)).toThrow(DurationError);
  });
});
