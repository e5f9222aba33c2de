import { FACTS_VERSION } from '@geoduels/risk-client/signals';
import type { TempDatabase } from '@geoduels/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/pool.js';
import { createMigratedDatabase, seedMatch } from '../test-support/worker-harness.js';
import { eventsFromColumns, loadMatchFacts } from './facts.js';

let temp: TempDatabase;
let db: Database;
const now = new Date('2026-03-01T12:00:00.000Z');

const MATCH = '10000000-0000-4000-8000-000000000001';
const OLD_MATCH = '10000000-0000-4000-8000-000000000002';
const EMPTY_MATCH = '10000000-0000-4000-8000-000000000003';
const VETERAN = '20000000-0000-4000-8000-000000000001';
const NEWCOMER = '20000000-0000-4000-8000-000000000002';
const SPECTATOR = '20000000-0000-4000-8000-000000000003';

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('facts'));
  // The veteran has 60 older events in another match, so only their newest 50 may be sent.
  const history = Array.from({ length: 60 }, (_, i) => {
    const at = new Date(Date.UTC(2026, 1, 1, 0, i)).toISOString();
    return [i + 1, 1000 + i, 5000 + i, i / 100, at] as [number, number, number, number, string];
  });
  await seedMatch(db, OLD_MATCH, [{ userId: VETERAN, events: history }]);
  await seedMatch(db, MATCH, [
    {
      userId: VETERAN,
      mmr: 1350,
      games: 42,
      // Two rounds at the same instant: the higher round number comes first.
      events: [
        [1, 4000, 2100, 0.25, '2026-02-20T10:00:00.123Z'],
        [2, 4500, 1900, 0.5, '2026-02-20T10:00:00.123Z'],
      ],
    },
    { userId: NEWCOMER, events: [[1, 3000, 8000, 0, '2026-02-20T10:00:05Z']] },
    // A match_players row without guess events (a forfeit): not a player of the facts.
    { userId: SPECTATOR, mmr: 900, events: [] },
  ]);
  await seedMatch(db, EMPTY_MATCH, []);
  // The newcomer's rank and games in seasons that are not the active one (s5): never read.
  for (const season of ['s2', 's4', ' s5']) {
    await db.pool.query(`INSERT INTO ranks (user_id, mode, season_id, mmr) VALUES ($1, 'duel', $2, 1999)`, [
      NEWCOMER,
      season,
    ]);
    await db.pool.query(
      `INSERT INTO ranked_stats (user_id, mode, season_id, games_played) VALUES ($1, 'duel', $2, 99)`,
      [NEWCOMER, season],
    );
  }
  await db.pool.query(`INSERT INTO ranks (user_id, mode, season_id, mmr) VALUES ($1, 'team', 's5', 1999)`, [
    NEWCOMER,
  ]);
});
afterAll(async () => {
  await db.pool.end();
  await temp.drop();
});

describe('loading the facts of a match', () => {
  it('builds the exact request: players, newest 50 events, rating and games with their defaults', async () => {
    const facts = await loadMatchFacts(db, MATCH, now);
    expect(facts.kind).toBe('facts');
    if (facts.kind !== 'facts') return;
    const [veteran, newcomer] = facts.request.players;
    expect(facts.request).toMatchObject({
      matchId: MATCH,
      factsVersion: FACTS_VERSION,
      generatedAt: now.toISOString(),
    });
    expect(Object.keys(facts.request).sort()).toEqual(['factsVersion', 'generatedAt', 'matchId', 'players']);
    expect(facts.request.players.map((p) => p.userId)).toEqual([VETERAN, NEWCOMER]);

    expect(veteran?.currentRating).toBe(1350);
    expect(veteran?.rankedGames).toBe(42);
    expect(veteran?.events).toHaveLength(50);
    expect(veteran?.events.slice(0, 3)).toEqual([
      {
        matchId: MATCH,
        roundNumber: 2,
        score: 4500,
        guessMs: 1900,
        evidence: 0.5,
        occurredAt: '2026-02-20T10:00:00.123Z',
      },
      {
        matchId: MATCH,
        roundNumber: 1,
        score: 4000,
        guessMs: 2100,
        evidence: 0.25,
        occurredAt: '2026-02-20T10:00:00.123Z',
      },
      {
        matchId: OLD_MATCH,
        roundNumber: 60,
        score: 1059,
        guessMs: 5059,
        evidence: 0.59,
        occurredAt: '2026-02-01T00:59:00.000Z',
      },
    ]);
    // 2 from this match + the 48 newest of the 60 old ones: round 13 is the oldest kept.
    expect(veteran?.events.at(-1)).toMatchObject({ matchId: OLD_MATCH, roundNumber: 13 });

    // No duel rank in the active season: rating 500 is sent; no games: the field is omitted.
    expect(newcomer).toEqual({
      userId: NEWCOMER,
      currentRating: 500,
      events: [
        {
          matchId: MATCH,
          roundNumber: 1,
          score: 3000,
          guessMs: 8000,
          evidence: 0,
          occurredAt: '2026-02-20T10:00:05.000Z',
        },
      ],
    });
  });

  it('sends round numbers, scores and evidence as JSON numbers (smallint and real columns)', async () => {
    const facts = await loadMatchFacts(db, MATCH, now);
    if (facts.kind !== 'facts') throw new Error(`expected facts, got ${facts.kind}`);
    const events = facts.request.players.flatMap((p) => p.events);
    for (const event of events) {
      expect([typeof event.roundNumber, typeof event.score, typeof event.evidence]).toEqual([
        'number',
        'number',
        'number',
      ]);
    }
    // Real evidence keeps its short decimal form (0.59, not 0.5899999737739563).
    expect(events.map((e) => e.evidence)).toContain(0.59);
  });

  it('says unknown_match for a match the API never persisted', async () => {
    expect(await loadMatchFacts(db, '10000000-0000-4000-8000-0000000000ff', now)).toEqual({
      kind: 'unknown_match',
    });
  });

  it('says no_ranked_events for a match without guess events', async () => {
    expect(await loadMatchFacts(db, EMPTY_MATCH, now)).toEqual({ kind: 'no_ranked_events' });
  });

  it('works without named prepared statements (PgBouncer transaction pooling)', async () => {
    const facts = await loadMatchFacts({ pool: db.pool, namedStatements: false }, MATCH, now);
    expect(facts.kind).toBe('facts');
  });
});

describe('events from the facts columns', () => {
  const M1 = '10000000-0000-4000-8000-0000000000a1';
  const M2 = '10000000-0000-4000-8000-0000000000a2';

  it('zips the arrays into events', () => {
    expect(eventsFromColumns([[M1], [3], [4200], [1500], [0.25], ['2026-02-20T10:00:00.120Z']])).toEqual([
      {
        matchId: M1,
        roundNumber: 3,
        score: 4200,
        guessMs: 1500,
        evidence: 0.25,
        occurredAt: '2026-02-20T10:00:00.120Z',
      },
    ]);
  });

  it('puts events that arrive out of order newest first, then by higher round, then by match id', () => {
    const t1 = '2026-02-20T10:00:00.000Z';
    const t2 = '2026-02-20T11:00:00.000Z';
    const events = eventsFromColumns([
      [M2, M1, M1, M1],
      [1, 1, 2, 1],
      [10, 20, 30, 40],
      [100, 200, 300, 400],
      [0, 0, 0, 0],
      [t1, t2, t1, t1],
    ]);
    expect(events.map((e) => e.score)).toEqual([20, 30, 40, 10]);
  });
});
