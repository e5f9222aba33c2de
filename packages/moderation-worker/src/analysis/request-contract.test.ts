import { type AnalyzeRequest, FACTS_VERSION, type PlayerFacts } from '@geoduels/risk-client/signals';
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
  it('passes a request inside the contract, 64 players included', () => {
    expect(unsendableRequest(request(Array.from({ length: 64 }, (_, i) => player(i))))).toBeNull();
  });

  it('names too many players, with how many were there', () => {
    expect(unsendableRequest(request(Array.from({ length: 65 }, (_, i) => player(i))))).toMatchObject({
      reason: 'too_many_players',
      detail: expect.stringMatching(/^too_many_players: players: .*64.* \(65 sent\)$/),
    });
  });

  it('names too many events for a player', () => {
    expect(unsendableRequest(request([player(0), player(1, 51)]))).toMatchObject({
      reason: 'too_many_events',
      detail: expect.stringMatching(/^too_many_events: players\.1\.events: .*\(51 sent\)$/),
    });
  });

  it('names anything else the contract refuses as invalid_request, with the field', () => {
    const bad = request([{ ...player(0), currentRating: 1.5 }]);
    expect(unsendableRequest(bad)).toMatchObject({
      reason: 'invalid_request',
      detail: expect.stringMatching(/^invalid_request: players\.0\.currentRating: /),
    });
  });
});
