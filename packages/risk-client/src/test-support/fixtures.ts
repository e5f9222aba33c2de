import { type AnalyzeRequest, FACTS_VERSION } from '../schema.js';

export const PLAYER_A = '11111111-1111-4111-8111-111111111111';
export const PLAYER_B = '22222222-2222-4222-8222-222222222222';
export const MATCH_ID = '33333333-3333-4333-8333-333333333333';

/** A valid contract-v1 request with two players and one event each. */
export function analyzeRequest(overrides: Partial<AnalyzeRequest> = {}): AnalyzeRequest {
  const event = {
    matchId: MATCH_ID,
    roundNumber: 1,
    score: 4200,
    guessMs: 8123,
    evidence: 0.5,
    occurredAt: '2026-01-02T03:04:05Z',
  };
  return {
    matchId: MATCH_ID,
    factsVersion: FACTS_VERSION,
    generatedAt: '2026-01-02T03:05:00Z',
    players: [
      { userId: PLAYER_A, currentRating: 1200, rankedGames: 40, events: [event] },
      { userId: PLAYER_B, events: [{ ...event, score: 1000 }] },
    ],
    ...overrides,
  };
}

/** A minimal valid engine answer with the given raw signals. */
export function engineAnswer(signals: unknown[] = []) {
  return { detectorVersion: 'det-7', factsVersion: FACTS_VERSION, signals };
}
