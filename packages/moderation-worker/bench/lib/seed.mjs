// Realistic ranked facts, generated inside PostgreSQL (INSERT ... SELECT over generate_series) so
// 100,000 matches and their million guess events seed in seconds without shipping rows over the
// wire. Values are deterministic (hash-derived), so every run analyses the same facts.
import { inTransaction } from '@geoduels/test-support';

/** Rounds per duel; with ~12 duels per player every player has 60 ranked guess events. */
export const ROUNDS_PER_MATCH = 5;
const MATCHES_PER_PLAYER = 12;
/** The active season, named as production names seasons (text) in `site_settings` `ranked_season`. */
export const SEASON_ID = 's7';

/**
 * Seeds, as the API leaves finalised ranked duels: `matches` duels (two players each, five rounds)
 * with their match_players rows and guess events, the players (display_name) with ranks and
 * ranked_stats in the season the `ranked_season` setting names. Returns the match ids newest first:
 * phases analyse the newest matches, as a live worker does, so each match's own rounds are among
 * its players' last 50 events.
 */
export async function seedMatches(pool, matches) {
  if (!Number.isInteger(matches) || matches < MATCHES_PER_PLAYER) {
    throw new RangeError(`seedMatches: matches must be an integer >= ${MATCHES_PER_PLAYER}, got ${matches}`);
  }
  // An even player count keeps the two seats of a match distinct (one even index, one odd).
  const players = 2 * Math.max(1, Math.floor(matches / MATCHES_PER_PLAYER));
  await inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO site_settings (key, value_json) VALUES ('ranked_season', $1)
       ON CONFLICT (key) DO UPDATE SET value_json = EXCLUDED.value_json, updated_at = now()`,
      [
        {
          activeSeasonId: SEASON_ID,
          monthlyResetDay: 1,
          lastResetAt: new Date(Date.now() - 90 * 86_400_000),
        },
      ],
    );
    await client.query(
      `INSERT INTO users (id, display_name)
       SELECT md5('gd-bench-user-' || i)::uuid, 'player' || i FROM generate_series(0, $1::int - 1) AS i`,
      [players],
    );
    // One player in ten climbed fast this season (rating-jump material); the rest sit
    // around the 500 default. One player in seven has no rank row at all (the 500 fallback).
    await client.query(
      `INSERT INTO ranks (user_id, mode, season_id, mmr)
       SELECT md5('gd-bench-user-' || i)::uuid, 'duel', $2,
              CASE WHEN i % 10 = 0 THEN 1800 + abs(hashtext('mmr' || i)) % 700
                   ELSE 350 + abs(hashtext('mmr' || i)) % 500 END
       FROM generate_series(0, $1::int - 1) AS i WHERE i % 7 <> 3`,
      [players, SEASON_ID],
    );
    await client.query(
      `INSERT INTO ranked_stats (user_id, mode, season_id, games_played)
       SELECT md5('gd-bench-user-' || i)::uuid, 'duel', $2,
              CASE WHEN i % 10 = 0 THEN 8 + abs(hashtext('gp' || i)) % 10 ELSE 20 + abs(hashtext('gp' || i)) % 200 END
       FROM generate_series(0, $1::int - 1) AS i WHERE i % 7 <> 3`,
      [players, SEASON_ID],
    );
    await client.query(
      `INSERT INTO match_history (match_id, mode, ranked, started_at, ended_at)
       SELECT md5('gd-bench-match-' || m)::uuid, 'duel', true,
              now() - interval '1 day' - ($1::int - m) * interval '20 seconds',
              now() - interval '1 day' - ($1::int - m) * interval '20 seconds' + interval '4 minutes'
       FROM generate_series(0, $1::int - 1) AS m`,
      [matches],
    );
    // Seat A is player (2m mod P), seat B an odd player that shifts every lap, so pairings vary.
    // One player in sixteen is fast and near-perfect (the fast-and-precise detector's material).
    await client.query(
      `INSERT INTO ranked_guess_events (user_id, match_id, round_number, score, guess_ms, evidence, occurred_at)
       SELECT md5('gd-bench-user-' || s.p)::uuid, md5('gd-bench-match-' || m)::uuid, r,
              CASE WHEN s.p % 16 = 0 THEN 4850 + abs(hashtext(m || ':' || s.p || ':' || r)) % 151
                   ELSE abs(hashtext(m || ':' || s.p || ':' || r)) % 5001 END,
              CASE WHEN s.p % 16 = 0 THEN 900 + abs(hashtext('g' || m || ':' || s.p || ':' || r)) % 1600
                   ELSE 4000 + abs(hashtext('g' || m || ':' || s.p || ':' || r)) % 50000 END,
              (abs(hashtext('e' || m || ':' || s.p || ':' || r)) % 1000) / 1000.0,
              now() - interval '1 day' - ($1::int - m) * interval '20 seconds' + r * interval '40 seconds'
       FROM generate_series(0, $1::int - 1) AS m
       CROSS JOIN LATERAL (VALUES ((2 * m) % $2::int), ((2 * m + 1 + 2 * ((2 * m) / $2::int)) % $2::int)) AS s (p)
       CROSS JOIN generate_series(1, $3::int) AS r`,
      [matches, players, ROUNDS_PER_MATCH],
    );
    // One match_players row per seat, as the API writes them when it finalises the duel.
    await client.query(
      `INSERT INTO match_players (match_id, user_id, ended_at)
       SELECT e.match_id, e.user_id, h.ended_at
       FROM (SELECT DISTINCT match_id, user_id FROM ranked_guess_events) e
       JOIN match_history h USING (match_id)`,
    );
  });
  await pool.query(
    'VACUUM ANALYZE users, ranks, ranked_stats, match_history, match_players, ranked_guess_events, site_settings',
  );
  const { rows } = await pool.query('SELECT match_id FROM match_history ORDER BY started_at DESC, match_id');
  return { matchIds: rows.map((row) => row.match_id), players };
}
