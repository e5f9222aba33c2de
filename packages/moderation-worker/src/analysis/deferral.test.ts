import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFERRAL_BACKOFF, deferralExpired } from './deferral.js';

const policy = { baseMs: 1_000, capMs: 8_000, jitter: 0.5 };

describe('backoff', () => {
  it('doubles per attempt up to the cap', () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5, 30, 1000].map((attempt) => backoffDelayMs(attempt, policy, top))).toEqual([
      1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000,
    ]);
  });

  it('randomises the jittered share only', () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(2_000);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(3_000);
  });

  it('never retries before the engine asked (Retry-After)', () => {
    expect(backoffDelayMs(1, policy, () => 0, 60_000)).toBe(60_000);
    expect(backoffDelayMs(4, policy, () => 1, 10)).toBe(8_000);
  });

  it('defers engine outages for at most five minutes per step', () => {
    expect(backoffDelayMs(50, DEFERRAL_BACKOFF, () => 1)).toBe(300_000);
  });
});

describe('maximum deferral', () => {
  const first = new Date('2026-03-01T00:00:00Z');
  const hours = (n: number) => new Date(first.getTime() + n * 3_600_000);

  it('expires once the window since the first sighting has passed', () => {
    expect(deferralExpired(first, first, hours(23.9), 24 * 3_600_000)).toBe(false);
    expect(deferralExpired(first, first, hours(24), 24 * 3_600_000)).toBe(true);
  });

  it('opens a fresh window for a later re-enqueue (backfill)', () => {
    expect(deferralExpired(first, hours(48), hours(50), 24 * 3_600_000)).toBe(false);
  });
});
