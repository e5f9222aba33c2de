import {
  type AnalyzeRequest,
  analyzeRequestSchema,
  FACTS_VERSION,
  MAX_PLAYER_EVENTS,
  MAX_REQUEST_PLAYERS,
  type PlayerFacts,
} from '@geoduels/risk-client/signals';
import { describe, expect, it } from 'vitest';
import { unsendableRequest } from './request-contract.js';

const MATCH = '73000000-0000-4000-8000-000000000001';

function player(i: number, events = 1): PlayerFacts {
  return {
    userId: `73000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
    events: Array.from({ length: events }, (_, round) => ({
      matchId: MATCH,
      roundNumber: round,
      score: 1000,
      guessMs: 2000,
      evidence: 0.5,
      occurredAt: '2026-02-28T10:00:00.000Z',
    })),
  };
}

function request(players: PlayerFacts[]): AnalyzeRequest {
  return { matchId: MATCH, factsVersion: FACTS_VERSION, generatedAt: '2026-03-01T12:00:00.000Z', players };
}

describe("the engine contract's request limits", () => {
  it('passes a request at the limits, which the contract schema accepts too', () => {
    const atLimits = request([
      ...Array.from({ length: MAX_REQUEST_PLAYERS - 1 }, (_, i) => player(i)),
      player(MAX_REQUEST_PLAYERS, MAX_PLAYER_EVENTS),
    ]);
    expect(analyzeRequestSchema.safeParse(atLimits).success).toBe(true);
    expect(unsendableRequest(atLimits)).toBeNull();
  });

  it('names too many players, with the count, where the contract schema refuses them', () => {
    const tooMany = request(Array.from({ length: 65 }, (_, i) => player(i)));
    expect(analyzeRequestSchema.safeParse(tooMany).success).toBe(false);
    expect(unsendableRequest(tooMany)).toEqual({
      reason: 'too_many_players',
      detail: 'too_many_players: 65 players, the engine contract allows at most 64',
    });
  });

  it('names too many events for a player, with the player', () => {
    const long = request([player(0), player(1, 51)]);
    expect(analyzeRequestSchema.safeParse(long).success).toBe(false);
    expect(unsendableRequest(long)).toEqual({
      reason: 'too_many_events',
      detail: `too_many_events: 51 events of player ${long.players[1]!.userId}, the engine contract allows at most 50`,
    });
  });
});
