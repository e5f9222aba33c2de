import { describe, expect, it } from 'vitest';
import { isoFromEpochMs } from './iso-time.js';

const same = (ms: number) => expect(isoFromEpochMs(ms)).toBe(new Date(ms).toISOString());

describe('isoFromEpochMs', () => {
  it('writes the same text as Date#toISOString around the calendar edges', () => {
    const edges = [
      '1970-01-01T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '2000-02-29T12:34:56.007Z',
      '2024-02-29T23:59:59.999Z',
      '2026-03-01T00:00:00.000Z',
      '2100-02-28T23:59:59.050Z',
      '2100-03-01T00:00:00.500Z',
      '1900-03-01T01:02:03.004Z',
      '1000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
    ];
    for (const text of edges) {
      const ms = Date.parse(text);
      expect(isoFromEpochMs(ms)).toBe(text);
    }
  });

  it('writes the same text as Date#toISOString for every day of four centuries, at varying times', () => {
    const start = Date.UTC(1800, 0, 1);
    for (let day = 0; day < 146_097; day += 1)
      same(start + day * 86_400_000 + ((day * 7_919_113) % 86_400_000));
  });

  it('falls back to Date#toISOString outside four-digit years and for fractional or invalid input', () => {
    for (const ms of [Date.UTC(999, 11, 31, 23, 59, 59, 999), Date.UTC(10_000, 0, 1), 8.64e15, 1.5]) same(ms);
    expect(() => isoFromEpochMs(Number.NaN)).toThrow(RangeError);
  });
});
