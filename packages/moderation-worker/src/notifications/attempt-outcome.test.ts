import { describe, expect, it } from 'vitest';
import {
  cutLastError,
  failedAttempt,
  invalidPayloadAttempt,
  MAX_LAST_ERROR_LENGTH,
} from './attempt-outcome.js';

describe('failed attempt', () => {
  it('schedules every kind of webhook failure on the same schedule', () => {
    const results = [
      { kind: 'rate_limited', status: 429, retryAfterMs: null },
      { kind: 'server_error', status: 502, retryAfterMs: null },
      { kind: 'client_error', status: 404, detail: 'Unknown Webhook' },
      { kind: 'timeout' },
      { kind: 'network', detail: 'ECONNRESET' },
    ] as const;
    expect(results.map((result) => failedAttempt(result, 3, 5_000).delayMs)).toEqual(Array(5).fill(60_000));
  });

  it('holds every claim off only for a 429 that says how long', () => {
    expect(failedAttempt({ kind: 'rate_limited', status: 429, retryAfterMs: 2_000 }, 1, 5_000)).toMatchObject(
      {
        delayMs: 2_000,
        rateLimitMs: 2_000,
      },
    );
    expect(
      failedAttempt({ kind: 'rate_limited', status: 429, retryAfterMs: null }, 1, 5_000).rateLimitMs,
    ).toBeNull();
    expect(
      failedAttempt({ kind: 'server_error', status: 503, retryAfterMs: 2_000 }, 1, 5_000).rateLimitMs,
    ).toBeNull();
  });

  it('pushes a row whose payload cannot be read a day out', () => {
    expect(invalidPayloadAttempt('signalId: expected number')).toEqual({
      reason: 'invalid_payload',
      error: 'invalid_payload: signalId: expected number',
      delayMs: 86_400_000,
      rateLimitMs: null,
    });
  });
});

describe('last_error', () => {
  it('is cut to 1000 characters, counted as PostgreSQL counts them', () => {
    expect(cutLastError('x'.repeat(1500))).toHaveLength(MAX_LAST_ERROR_LENGTH);
    const emoji = cutLastError('🙂'.repeat(1200));
    expect([...emoji]).toHaveLength(1000);
    expect(emoji).toBe('🙂'.repeat(1000));
    expect(cutLastError('short')).toBe('short');
  });
});
