// Test-only builders of contract-v1 requests; deterministic, no randomness.
import type { AnalyzeRequest, GuessEvent, PlayerFacts } from '@geoduels/risk-client/signals';
import { FACTS_VERSION } from '@geoduels/risk-client/signals';

/** A valid uuid-shaped id from a small number (stable across runs). */
export function uuidFor(n: number, prefix = '0000'): string {
  return `${prefix.padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export const MATCH_ID = uuidFor(1, 'aaaa');
export const ALICE = uuidFor(1, 'a11ce');
export const BOB = uuidFor(2, 'b0b');

/** One guess event; defaults are an unremarkable guess in MATCH_ID. */
export function guess(overrides: Partial<GuessEvent> = {}): GuessEvent {
  return {
    matchId: MATCH_ID,
    roundNumber: 1,
    score: 3000,
    guessMs: 12_000,
    evidence: 0.5,
    occurredAt: '2026-11-27T12:00:00Z',
    ...overrides,
  };
}

/** `count` events, newest first: the first `inMatch` belong to MATCH_ID, the rest to older matches. */
export function history(
  count: number,
  shape: (i: number) => Partial<GuessEvent> = () => ({}),
  inMatch = 5,
): GuessEvent[] {
  return Array.from({ length: count }, (_, i) =>
    guess({
      matchId: i < inMatch ? MATCH_ID : uuidFor(100 + Math.floor(i / 5), 'bbbb'),
      roundNumber: 5 - (i % 5),
      occurredAt: new Date(Date.UTC(2026, 10, 27, 12, 0, 0) - i * 60_000).toISOString(),
      ...shape(i),
    }),
  );
}

/** A request for MATCH_ID with the given players. */
export function analyzeRequest(players: PlayerFacts[], extra: Partial<AnalyzeRequest> = {}): AnalyzeRequest {
  return {
    matchId: MATCH_ID,
    factsVersion: FACTS_VERSION,
    generatedAt: '2026-11-27T12:05:00Z',
    players,
    ...extra,
  };
}

/**
 * The "typical" match of the README: two players, 50 events each (5 in this match), ordinary
 * scores (2500-4499), guess times of 8-28 s, evidence 0.1-0.6, ratings near 1000 after 40+ games.
 * It yields exactly 3 signals: history-watch for each player and one match-pace.
 */
export function typicalMatch(): AnalyzeRequest {
  const shape = (seed: number) => (i: number) => ({
    score: 2500 + ((i * 397 + seed) % 2000),
    guessMs: 8000 + ((i * 911 + seed * 7) % 20_000),
    evidence: 0.1 + ((i * 13 + seed) % 50) / 100,
  });
  return analyzeRequest([
    { userId: ALICE, currentRating: 1040, rankedGames: 42, events: history(50, shape(1)) },
    { userId: BOB, currentRating: 980, rankedGames: 57, events: history(50, shape(2)) },
  ]);
}
