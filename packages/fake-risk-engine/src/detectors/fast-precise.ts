import type { RawSignal } from '@geoduels/risk-client/signals';
import { DETECTOR_VERSION, type Detector, round3 } from './detector.js';

/** Thresholds of the fast-and-precise detector. */
export const FAST_PRECISE = {
  minScore: 4900,
  maxGuessMs: 3000,
  minEvents: 5,
  highEvents: 10,
  criticalEvents: 15,
};

// Tiers spell severities and evidence in mixed case, padded and as aliases on purpose: the
// client must trim, lower-case and map them (risk-client normalize.ts).
function tier(qualifying: number) {
  if (qualifying >= FAST_PRECISE.criticalEvents) {
    return { severity: ' CRITICAL', evidenceStrength: 'very_high', recommendedQueue: true };
  }
  if (qualifying >= FAST_PRECISE.highEvents) {
    return { severity: 'High ', evidenceStrength: 'high', recommendedQueue: true };
  }
  return { severity: 'medium', evidenceStrength: 'Medium', recommendedQueue: false };
}

/** Players with at least 5 events scoring >= 4900 in <= 3000 ms (medium; high from 10; critical from 15). */
export const fastPrecise: Detector = {
  name: 'fast-precise',
  detect(request) {
    const signals: RawSignal[] = [];
    for (const player of request.players) {
      const hits = player.events.filter(
        (e) => e.score >= FAST_PRECISE.minScore && e.guessMs <= FAST_PRECISE.maxGuessMs,
      );
      if (hits.length < FAST_PRECISE.minEvents) continue;
      signals.push({
        subjectUserId: player.userId,
        signalType: 'gameplay_integrity',
        detectorKey: 'fast_precise',
        detectorVersion: DETECTOR_VERSION,
        ...tier(hits.length),
        reasonCode: 'fast_precise_guesses',
        score: round3(hits.length / player.events.length),
        payload: {
          window: { events: player.events.length, qualifying: hits.length },
          thresholds: { minScore: FAST_PRECISE.minScore, maxGuessMs: FAST_PRECISE.maxGuessMs },
          examples: hits.slice(0, 3).map((e) => ({
            matchId: e.matchId,
            round: { number: e.roundNumber, score: e.score, guessMs: e.guessMs },
          })),
        },
        occurredAt: hits[0]!.occurredAt,
      });
    }
    return signals;
  },
};
