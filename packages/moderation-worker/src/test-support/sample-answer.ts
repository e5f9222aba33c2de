// Test-only: one engine answer about a two-player match, raw as a detector sends it and normalised
// as the client hands it to the store. The flow's test checks the store is given `normalised`; the
// store's test checks the rows PostgreSQL keeps for it.
import type { RawSignal, RiskSignal } from '@geoduels/risk-client/signals';

/** A not-a-player signal the client drops, then three it keeps (one high, one recommended, one neither). */
export function sampleAnswer(a: string, b: string): { raw: RawSignal[]; normalised: RiskSignal[] } {
  const raw: RawSignal[] = [
    {
      subjectUserId: a,
      signalType: 'aim',
      detectorKey: 'fast_precise',
      detectorVersion: 'd1',
      severity: 'HIGH',
      evidenceStrength: 'very_high',
      reasonCode: 'fast_and_precise',
      recommendedQueue: false,
      score: 0.91,
      payload: { rounds: [1] },
      occurredAt: '2026-02-28T10:05:00Z',
    },
    {
      subjectUserId: b,
      signalType: '',
      detectorKey: 'pace',
      detectorVersion: 'd1',
      severity: 'low',
      evidenceStrength: 'weak',
      reasonCode: 'slow',
      recommendedQueue: false,
      score: 0.1,
      occurredAt: '2026-02-28T10:06:00Z',
    },
    {
      subjectUserId: b,
      detectorKey: 'pace',
      detectorVersion: 'd1',
      severity: 'medium',
      evidenceStrength: 'medium',
      reasonCode: 'erratic',
      recommendedQueue: true,
      score: 0.4,
      occurredAt: '2026-02-28T10:07:00Z',
    },
    { subjectUserId: '30000000-0000-4000-8000-0000000000ff', reasonCode: 'not_a_player', score: 1 },
  ];
  const pace = {
    signalType: 'gameplay_integrity',
    detectorKey: 'pace',
    detectorVersion: 'd1',
    payload: null,
  };
  const normalised: RiskSignal[] = [
    {
      subjectUserId: a,
      signalType: 'aim',
      detectorKey: 'fast_precise',
      detectorVersion: 'd1',
      severity: 'high',
      evidenceStrength: 'strong',
      reasonCode: 'fast_and_precise',
      recommendedQueue: false,
      score: 0.91,
      payload: { rounds: [1] },
      occurredAt: '2026-02-28T10:05:00.000Z',
    },
    {
      ...pace,
      subjectUserId: b,
      severity: 'low',
      evidenceStrength: 'weak',
      reasonCode: 'slow',
      recommendedQueue: false,
      score: 0.1,
      occurredAt: '2026-02-28T10:06:00.000Z',
    },
    {
      ...pace,
      subjectUserId: b,
      severity: 'medium',
      evidenceStrength: 'limited',
      reasonCode: 'erratic',
      recommendedQueue: true,
      score: 0.4,
      occurredAt: '2026-02-28T10:07:00.000Z',
    },
  ];
  return { raw, normalised };
}
