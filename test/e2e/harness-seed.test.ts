import { applyApiSchema, createTempDatabase, type TempDatabase } from '@geoduels/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedEmptyMatch, seedRankedMatches } from '../support/seed.js';

let database: TempDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTempDatabase('e2e_seed');
  await applyApiSchema(database.url);
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('seed data', () => {
  it('seeds thousands of ranked duels with two players, their guess events, ranks and stats in one active season', async () => {
    const seeded = await seedRankedMatches(pool, { matches: 2_500, roundsPerMatch: 5 });
    expect(seeded.matches).toHaveLength(2_500);

    const counts = await pool.query<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM match_history WHERE ranked AND mode = 'duel' AND season_id = $1) AS matches,
              (SELECT count(*)::int FROM users) AS users,
              (SELECT count(*)::int FROM ranked_guess_events) AS events,
              (SELECT count(*)::int FROM seasons WHERE is_active) AS active_seasons,
              (SELECT count(*)::int FROM ranks) AS ranks,
              (SELECT count(*)::int FROM ranked_stats) AS stats`,
      [seeded.seasonId],
    );
    const row = counts.rows[0]!;
    expect(row).toMatchObject({ matches: 2_500, users: 5_000, events: 25_000, active_seasons: 1 });
    // Every fourth player (on average) has no rank, so both "rated" and "default 500" facts occur.
    expect(row.ranks).toBe(row.stats);
    expect(row.ranks).toBeGreaterThan(0);
    expect(row.ranks).toBeLessThan(5_000);

    const perMatch = await pool.query<{ players: number }>(
      'SELECT count(DISTINCT user_id)::int AS players FROM ranked_guess_events GROUP BY match_id',
    );
    expect(new Set(perMatch.rows.map((r) => r.players))).toEqual(new Set([2]));
    const first = seeded.matches[0]!;
    const players = await pool.query<{ user_id: string }>(
      'SELECT DISTINCT user_id FROM ranked_guess_events WHERE match_id = $1 ORDER BY user_id',
      [first.matchId],
    );
    expect(players.rows.map((r) => r.user_id)).toEqual([...first.playerIds].sort());
  });

  it('returns each player exactly as stored: events newest first, rating and games only when ranked', async () => {
    const seeded = await seedRankedMatches(pool, { matches: 20, seed: 7 });
    for (const { players } of seeded.matches) {
      for (const player of players) {
        const events = await pool.query(
          `SELECT match_id AS "matchId", round_number AS "roundNumber", score, guess_ms AS "guessMs", evidence,
                  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt"
           FROM ranked_guess_events WHERE user_id = $1 ORDER BY occurred_at DESC, round_number DESC`,
          [player.userId],
        );
        expect(events.rows).toEqual(player.events);
        const rank = await pool.query(
          `SELECT r.mmr AS rating, s.games_played AS games FROM ranks r
           JOIN ranked_stats s USING (user_id, mode, season_id) WHERE r.user_id = $1`,
          [player.userId],
        );
        const { userId: _, events: __, ...expected } = player;
        expect(rank.rows[0] ?? {}).toEqual(expected);
      }
    }
  });

  it('reuses the active season and can add a ranked match that has no guess events', async () => {
    const before = await pool.query('SELECT id FROM seasons');
    const matchId = await seedEmptyMatch(pool);
    const after = await pool.query('SELECT id FROM seasons');
    expect(after.rows).toEqual(before.rows);
    const events = await pool.query('SELECT 1 FROM ranked_guess_events WHERE match_id = $1', [matchId]);
    const match = await pool.query('SELECT 1 FROM match_history WHERE match_id = $1', [matchId]);
    expect([events.rowCount, match.rowCount]).toEqual([0, 1]);
  });
});
