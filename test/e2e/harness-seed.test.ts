import { applyApiSchema, createTempDatabase, type TempDatabase } from '@geoduels/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_SEASON_ID, seedEmptyMatch, seedRankedMatches } from '../support/seed.js';

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
  it('seeds thousands of ranked duels with two players, their guess events, ranks and stats in the ranked_season setting', async () => {
    const seeded = await seedRankedMatches(pool, { matches: 2_500, roundsPerMatch: 5 });
    expect(seeded.matches).toHaveLength(2_500);

    const counts = await pool.query<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM match_history WHERE ranked AND mode = 'duel' AND ended_at IS NOT NULL) AS matches,
              (SELECT count(*)::int FROM match_players) AS seats,
              (SELECT count(*)::int FROM users WHERE display_name <> '') AS users,
              (SELECT count(*)::int FROM ranked_guess_events) AS events,
              (SELECT count(*)::int FROM ranks WHERE season_id = $1 AND mode = 'duel') AS ranks,
              (SELECT count(*)::int FROM ranked_stats WHERE season_id = $1 AND mode = 'duel') AS stats,
              (SELECT value_json->>'activeSeasonId' FROM site_settings WHERE key = 'ranked_season') AS season`,
      [seeded.seasonId],
    );
    const row = counts.rows[0]!;
    expect(seeded.seasonId).toBe(SEED_SEASON_ID);
    expect(row).toMatchObject({
      matches: 2_500,
      seats: 5_000,
      users: 5_000,
      events: 25_000,
      season: SEED_SEASON_ID,
    });
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
    const seats = await pool.query<{ user_id: string }>(
      'SELECT user_id FROM match_players WHERE match_id = $1 ORDER BY user_id',
      [first.matchId],
    );
    expect(seats.rows.map((r) => r.user_id)).toEqual([...first.playerIds].sort());
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
        const { userId: _, events: __, displayName, ...expected } = player;
        expect(rank.rows[0] ?? {}).toEqual(expected);
        const user = await pool.query('SELECT display_name FROM users WHERE id = $1', [player.userId]);
        expect(user.rows).toEqual([{ display_name: displayName }]);
      }
    }
  });

  it('keeps the ranked_season setting and can add a ranked match that has no guess events', async () => {
    const before = await pool.query('SELECT value_json, updated_at FROM site_settings');
    const matchId = await seedEmptyMatch(pool);
    const after = await pool.query('SELECT value_json, updated_at FROM site_settings');
    expect(after.rows).toEqual(before.rows);
    const events = await pool.query('SELECT 1 FROM ranked_guess_events WHERE match_id = $1', [matchId]);
    const match = await pool.query('SELECT 1 FROM match_history WHERE match_id = $1', [matchId]);
    expect([events.rowCount, match.rowCount]).toEqual([0, 1]);
  });

  it('writes ranks in the season a test set in ranked_season', async () => {
    await pool.query(
      `UPDATE site_settings SET value_json = jsonb_set(value_json, '{activeSeasonId}', '" s9 "') WHERE key = 'ranked_season'`,
    );
    const seeded = await seedRankedMatches(pool, { matches: 8, seed: 9 });
    expect(seeded.seasonId).toBe('s9');
    const ranked = seeded.matches.flatMap((m) => m.players).filter((p) => p.rating !== undefined);
    const seasons = await pool.query<{ season_id: string }>(
      'SELECT DISTINCT season_id FROM ranks WHERE user_id = ANY($1::uuid[])',
      [ranked.map((p) => p.userId)],
    );
    expect(seasons.rows).toEqual([{ season_id: 's9' }]);
  });
});
