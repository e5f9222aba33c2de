// Test-only: the rows a player report needs, in production's schema (users with a display name,
// a finished ranked duel in match_history, and match_players rows for those who played).
import type pg from 'pg';

/** A user to insert: its id, and its display name (defaults to `player-<first 8 of the id>`). */
export type TestUser = string | { id: string; displayName: string };

/** Inserts users that do not exist yet. */
export async function insertUsers(pool: pg.Pool, users: TestUser[]): Promise<void> {
  const rows = users.map((user) =>
    typeof user === 'string' ? { id: user, displayName: `player-${user.slice(0, 8)}` } : user,
  );
  await pool.query(
    `INSERT INTO users (id, display_name)
     SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT (id) DO NOTHING`,
    [rows.map((row) => row.id), rows.map((row) => row.displayName)],
  );
}

/** A finished ranked duel that `players` played (match_players rows); `others` exist but did not play. */
export async function insertPlayedMatch(
  pool: pg.Pool,
  matchId: string,
  players: TestUser[],
  others: TestUser[] = [],
): Promise<void> {
  await insertUsers(pool, [...players, ...others]);
  await pool.query(
    `INSERT INTO match_history (match_id, mode, ranked, started_at, ended_at)
     VALUES ($1, 'duel', true, now() - interval '10 minutes', now())`,
    [matchId],
  );
  await pool.query(
    `INSERT INTO match_players (match_id, user_id, ended_at)
     SELECT $1, unnest($2::uuid[]), now()`,
    [matchId, players.map((player) => (typeof player === 'string' ? player : player.id))],
  );
}
