import { DEFAULT_DETECTORS, runDetectors } from '@geoduels/fake-risk-engine';
import { type AnalyzeRequest, FACTS_VERSION, needsReview, normalizeSignals } from '@geoduels/risk-client';
import type { SeededMatch } from './seed.js';

/** A stored risk-engine signal reduced to what must match exactly (dedupe key and merged fields). */
export interface SignalFacts {
  subjectUserId: string;
  matchId: string;
  detectorKey: string | null;
  detectorVersion: string | null;
  reasonCode: string;
  signalType: string;
  severity: string;
  evidenceStrength: string;
  recommendedQueue: boolean;
  score: number;
  /** Whether the signal needs review (one outbox row each). */
  queued: boolean;
}

/** The request the worker sends for a seeded match (each seeded player plays only that match). */
export function expectedRequest(match: SeededMatch, generatedAt: Date): AnalyzeRequest {
  return {
    matchId: match.matchId,
    factsVersion: FACTS_VERSION,
    generatedAt: generatedAt.toISOString(),
    players: [...match.players]
      .sort((a, b) => (a.userId < b.userId ? -1 : 1))
      .map((player) => ({
        userId: player.userId,
        currentRating: player.rating ?? 500,
        ...(player.games !== undefined && { rankedGames: player.games }),
        events: player.events,
      })),
  };
}

/**
 * What the fake engine's default detectors answer for a seeded match, after the client's
 * normalisation: the signal rows the worker must store for it, sorted by dedupe key.
 */
export function expectedSignals(match: SeededMatch): SignalFacts[] {
  const now = new Date();
  const request = expectedRequest(match, now);
  const raw = runDetectors(DEFAULT_DETECTORS, request);
  const { signals } = normalizeSignals(raw, { playerIds: new Set(match.playerIds), now });
  return sortSignals(
    signals.map((signal) => ({
      subjectUserId: signal.subjectUserId,
      matchId: match.matchId,
      detectorKey: signal.detectorKey,
      detectorVersion: signal.detectorVersion,
      reasonCode: signal.reasonCode,
      signalType: signal.signalType,
      severity: signal.severity,
      evidenceStrength: signal.evidenceStrength,
      recommendedQueue: signal.recommendedQueue,
      score: signal.score,
      queued: needsReview(signal),
    })),
  );
}

/** Sorts signals by their dedupe key so two lists compare with `toEqual`. */
export function sortSignals(signals: SignalFacts[]): SignalFacts[] {
  const key = (s: SignalFacts) =>
    [s.matchId, s.subjectUserId, s.detectorKey ?? '', s.detectorVersion ?? '', s.reasonCode].join('|');
  return signals.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
