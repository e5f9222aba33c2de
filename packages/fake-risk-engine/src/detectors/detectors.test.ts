import { analyzeResponseSchema } from '@geoduels/risk-client/signals';
import { describe, expect, it } from 'vitest';
import {
  ALICE,
  analyzeRequest,
  BOB,
  history,
  MATCH_ID,
  typicalMatch,
  uuidFor,
} from '../test-support/facts.js';
import {
  DEFAULT_DETECTORS,
  DETECTOR_VERSION,
  evidenceAlias,
  fastPrecise,
  historyWatch,
  matchPace,
  ratingJump,
  runDetectors,
  unknownSubjects,
} from './index.js';

const hits = (n: number) => (i: number) => (i < n ? { score: 4950, guessMs: 2500 } : {});

describe('fast-precise detector', () => {
  it('flags five or more near-perfect fast guesses as a medium signal with a nested payload', () => {
    const events = history(12, hits(6));
    const signals = fastPrecise.detect(analyzeRequest([{ userId: ALICE, events }]));
    expect(signals).toEqual([
      {
        subjectUserId: ALICE,
        signalType: 'gameplay_integrity',
        detectorKey: 'fast_precise',
        detectorVersion: DETECTOR_VERSION,
        severity: 'medium',
        evidenceStrength: 'Medium',
        recommendedQueue: false,
        reasonCode: 'fast_precise_guesses',
        score: 0.5,
        payload: {
          window: { events: 12, qualifying: 6 },
          thresholds: { minScore: 4900, maxGuessMs: 3000 },
          examples: [0, 1, 2].map((i) => ({
            matchId: MATCH_ID,
            round: { number: events[i]!.roundNumber, score: 4950, guessMs: 2500 },
          })),
        },
        occurredAt: events[0]!.occurredAt,
      },
    ]);
  });

  it('counts guesses exactly at the thresholds and ignores those just past them', () => {
    const events = history(8, (i) =>
      i < 4
        ? { score: 4900, guessMs: 3000 }
        : i === 4
          ? { score: 4899, guessMs: 100 }
          : { score: 5000, guessMs: 3001 },
    );
    expect(fastPrecise.detect(analyzeRequest([{ userId: ALICE, events }]))).toEqual([]);
    events[4] = { ...events[4]!, score: 4900 };
    expect(fastPrecise.detect(analyzeRequest([{ userId: ALICE, events }]))).toHaveLength(1);
  });

  it('escalates to high from 10 and critical from 15 guesses, recommending the queue', () => {
    const tierOf = (n: number) => {
      const [s] = fastPrecise.detect(analyzeRequest([{ userId: BOB, events: history(20, hits(n)) }]));
      return {
        severity: s?.severity,
        evidenceStrength: s?.evidenceStrength,
        recommendedQueue: s?.recommendedQueue,
      };
    };
    expect(tierOf(10)).toEqual({ severity: 'High ', evidenceStrength: 'high', recommendedQueue: true });
    expect(tierOf(15)).toEqual({
      severity: ' CRITICAL',
      evidenceStrength: 'very_high',
      recommendedQueue: true,
    });
  });
});

describe('rating-jump detector', () => {
  it('flags a steep climb without signalType or occurredAt, with a padded detector version', () => {
    const signals = ratingJump.detect(
      analyzeRequest([
        { userId: ALICE, currentRating: 1500, rankedGames: 10, events: [] },
        { userId: BOB, currentRating: 1200, rankedGames: 14, events: [] },
      ]),
    );
    expect(signals).toEqual([
      {
        subjectUserId: ALICE,
        detectorKey: 'rating_jump',
        detectorVersion: ` ${DETECTOR_VERSION} `,
        severity: ' HIGH',
        evidenceStrength: 'Substantial ',
        reasonCode: 'rating_jump',
        recommendedQueue: false,
        score: 100,
        payload: { rating: { current: 1500, baseline: 500 }, rankedGames: 10 },
      },
      {
        subjectUserId: BOB,
        detectorKey: 'rating_jump',
        detectorVersion: ` ${DETECTOR_VERSION} `,
        severity: 'Medium',
        evidenceStrength: 'limited',
        reasonCode: 'rating_jump',
        recommendedQueue: false,
        score: 50,
        payload: { rating: { current: 1200, baseline: 500 }, rankedGames: 14 },
      },
    ]);
  });

  it('ignores slow climbers, ratings under 1200 and players without a rating', () => {
    const signals = ratingJump.detect(
      analyzeRequest([
        { userId: ALICE, currentRating: 1199, rankedGames: 1, events: [] },
        { userId: BOB, currentRating: 1300, rankedGames: 17, events: [] },
        { userId: uuidFor(3), events: [] },
      ]),
    );
    expect(signals).toEqual([]);
  });
});

describe('history-watch detector', () => {
  it('emits a low-evidence watch signal with blank type, empty version, no reason and the zero time', () => {
    const events = history(20, (i) => ({ evidence: 0.1, score: 1000 + i, guessMs: 20_000 }));
    expect(historyWatch.detect(analyzeRequest([{ userId: ALICE, events }]))).toEqual([
      {
        subjectUserId: ALICE,
        signalType: '  ',
        detectorKey: 'history_watch',
        detectorVersion: '',
        severity: 'watch',
        evidenceStrength: 'very_low',
        recommendedQueue: false,
        score: 0.1,
        payload: {
          stats: { events: 20, meanEvidence: 0.1, meanScore: 1009.5, meanGuessMs: 20_000 },
          window: { newest: events[0]!.occurredAt, oldest: events[19]!.occurredAt },
        },
        occurredAt: '0001-01-01T00:00:00Z',
      },
    ]);
  });

  it('needs twenty events', () => {
    expect(historyWatch.detect(analyzeRequest([{ userId: ALICE, events: history(19) }]))).toEqual([]);
  });

  it('spells the mean evidence as every alias the client must map', () => {
    expect([0, 0.2, 0.4, 0.6, 0.8, 1].map(evidenceAlias)).toEqual([
      'very_low',
      'low',
      'MEDIUM',
      ' high',
      'Very_High',
      'Very_High',
    ]);
  });
});

describe('match-pace detector', () => {
  const paced = (aliceMs: number, bobMs: number) =>
    analyzeRequest([
      { userId: ALICE, events: history(7, () => ({ guessMs: aliceMs })) },
      { userId: BOB, events: history(7, () => ({ guessMs: bobMs })) },
    ]);

  it('names the fastest player of this match with padded fields and an unknown evidence strength', () => {
    expect(matchPace.detect(paced(10_000, 8000))).toEqual([
      {
        subjectUserId: `  ${BOB} `,
        signalType: ' gameplay_pace ',
        detectorKey: ' match_pace ',
        detectorVersion: DETECTOR_VERSION,
        severity: ' low',
        evidenceStrength: 'tentative',
        reasonCode: ' fastest_in_match ',
        recommendedQueue: false,
        score: 8000,
        payload: {
          match: {
            matchId: MATCH_ID,
            players: [
              { userId: ALICE, rounds: 5, meanGuessMs: 10_000 },
              { userId: BOB, rounds: 5, meanGuessMs: 8000 },
            ],
          },
        },
        occurredAt: '2026-11-27T12:05:00Z',
      },
    ]);
  });

  it('breaks ties by the lowest user id and stays silent with fewer than two players in the match', () => {
    expect(matchPace.detect(paced(9000, 9000))[0]?.subjectUserId?.trim()).toBe([ALICE, BOB].sort()[0]);
    const solo = analyzeRequest([
      { userId: ALICE, events: history(7) },
      { userId: BOB, events: history(7, () => ({}), 0) },
    ]);
    expect(matchPace.detect(solo)).toEqual([]);
  });
});

describe('unknown-subjects detector', () => {
  it('emits a stranger, a blank and a missing subject for the client to drop', () => {
    const signals = unknownSubjects.detect(analyzeRequest([{ userId: ALICE, events: [] }]));
    expect(signals.map((s) => [s.subjectUserId, s.reasonCode])).toEqual([
      ['00000000-0000-4000-8000-00000000dead', 'not_a_player'],
      ['   ', 'blank_subject'],
      [undefined, 'missing_subject'],
    ]);
  });

  it('never picks a stranger who is in fact a player', () => {
    const request = analyzeRequest([{ userId: '00000000-0000-4000-8000-00000000DEAD', events: [] }]);
    expect(unknownSubjects.detect(request)[0]?.subjectUserId).toBe('00000000-0000-4000-8000-00000000beef');
  });
});

describe('default detectors', () => {
  it('yield exactly three signals for a typical two-player match with 50 events each', () => {
    const signals = runDetectors(DEFAULT_DETECTORS, typicalMatch());
    expect(signals.map((s) => [s.detectorKey, s.subjectUserId?.trim()])).toEqual([
      ['history_watch', ALICE],
      ['history_watch', BOB],
      [' match_pace ', expect.any(String)],
    ]);
  });

  it('are deterministic and always produce a contract-valid response', () => {
    const request = typicalMatch();
    request.players[0]!.events = history(50, hits(16));
    request.players[0]!.currentRating = 1600;
    request.players[0]!.rankedGames = 5;
    const first = runDetectors([...DEFAULT_DETECTORS, unknownSubjects], request);
    expect(runDetectors([...DEFAULT_DETECTORS, unknownSubjects], structuredClone(request))).toEqual(first);
    expect(first).toHaveLength(8);
    const body = { detectorVersion: DETECTOR_VERSION, factsVersion: request.factsVersion, signals: first };
    expect(analyzeResponseSchema.safeParse(JSON.parse(JSON.stringify(body))).success).toBe(true);
  });
});
