import type { RiskSignal } from '@geoduels/risk-client/signals';
import { describe, expect, it } from 'vitest';
import { collapseSignals, mergeSignal, signalKey } from './signal-merge.js';

const base: RiskSignal = {
  subjectUserId: '90000000-0000-4000-8000-000000000001',
  signalType: 'gameplay_integrity',
  detectorKey: 'k',
  detectorVersion: 'v',
  severity: 'medium',
  evidenceStrength: 'limited',
  reasonCode: 'r',
  recommendedQueue: false,
  score: 0.5,
  payload: { a: 1 },
  occurredAt: '2026-03-01T10:00:00.000Z',
};

describe('merging signals with one dedupe key', () => {
  it('keeps the higher ranks, the greater score, the OR, the newer payload and the later time', () => {
    const merged = mergeSignal(base, {
      ...base,
      severity: 'low',
      evidenceStrength: 'strong',
      score: 0.2,
      recommendedQueue: true,
      payload: { a: 2 },
      occurredAt: '2026-03-01T09:00:00.000Z',
    });
    expect(merged).toEqual({
      ...base,
      severity: 'medium',
      evidenceStrength: 'strong',
      score: 0.5,
      recommendedQueue: true,
      payload: { a: 2 },
    });
  });

  it('replaces the payload with the newer one even when the newer has none, as production does', () => {
    expect(mergeSignal(base, { ...base, payload: null }).payload).toBeNull();
  });

  it('treats a missing detector key or version as the empty text the dedupe index compares', () => {
    const unkeyed = { ...base, detectorKey: null, detectorVersion: null };
    expect(signalKey(unkeyed)).toBe(signalKey({ ...base, detectorKey: '', detectorVersion: '' }));
    expect(signalKey(unkeyed)).not.toBe(signalKey(base));
  });

  it('collapses duplicates and orders rows by key', () => {
    const other = { ...base, reasonCode: 'a_first' };
    const collapsed = collapseSignals([base, other, { ...base, severity: 'critical' }]);
    expect(collapsed.map((s) => [s.reasonCode, s.severity])).toEqual([
      ['a_first', 'medium'],
      ['r', 'critical'],
    ]);
  });
});
