import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/** Anything that can run a parametrised query: a pool or a connected client. */
export type Queryable = Pick<pg.Pool, 'query'>;

/** One guess event as seeded, in contract v1 shape (what the worker's facts read returns). */
export interface SeededEvent {
  matchId: string;
  roundNumber: number;
  score: number;
  guessMs: number;
  evidence: number;
  occurredAt: string;
}

/** A seeded player: their duel rating and games in the active season (absent when unranked). */
export interface SeededPlayer {
  userId: string;
  /** users.display_name: what review notifications name the player by. */
  displayName: string;
  rating?: number;
  games?: number;
  /** Newest first, like the facts the worker sends. */
  events: SeededEvent[];
}

/** One seeded ranked duel and its two players (each player plays only this match). */
export interface SeededMatch {
  matchId: string;
  playerIds: [string, string];
  players: [SeededPlayer, SeededPlayer];
}

/** What {@link seedRankedMatches} wrote. */
export interface SeedResult {
  /** The active season (text, as `site_settings` `ranked_season` names it) the ranks were written in. */
  seasonId: string;
  matches: SeededMatch[];
}

/** Options for {@link seedRankedMatches}. */
export interface SeedOptions {
  /** Number of ranked duels to create. */
  matches: number;
  /** Rounds per match; each player gets one guess event per round (default 5). */
  roundsPerMatch?: number;
  /** PRNG seed for scores, timings and evidence, so a run is reproducible (default 1). */
  seed?: number;
  /** Matches per multi-row INSERT batch (default 1,000). */
  batchSize?: number;
}

/** The season the seeds name in `site_settings` `ranked_season`: not production's fallback `s2`. */
export const SEED_SEASON_ID = 's3';

/**
 * Inserts, as the API leaves a finalised ranked duel: users (display_name), the match_history row
 * (mode `duel`, ranked, ended), one match_players row per player, their guess events, and ranks and
 * ranked stats in the active season (the `ranked_season` setting, created naming SEED_SEASON_ID
 * when missing), with one `unnest` INSERT per table per batch.
 * A fifth of the players are "suspicious" (near-perfect scores in very little time) and every
 * fourth player has no rank row, so the facts and the fake's detectors see varied input. Every
 * player plays only their one match, so the returned players are exactly the facts the worker sends.
 */
export async function seedRankedMatches(db: Queryable, options: SeedOptions): Promise<SeedResult> {
  const rounds = options.roundsPerMatch ?? 5;
  const batchSize = options.batchSize ?? 1_000;
  const random = mulberry32(options.seed ?? 1);
  const seasonId = await ensureRankedSeason(db);
  const matches: SeededMatch[] = [];
  const baseTime = Date.UTC(2026, 0, 15, 12, 0, 0);

  for (let offset = 0; offset < options.matches; offset += batchSize) {
    const count = Math.min(batchSize, options.matches - offset);
    const users = { ids: [] as string[], names: [] as string[] };
    const match = { ids: [] as string[], started: [] as string[], ended: [] as string[] };
    const seats = { match: [] as string[], user: [] as string[], ended: [] as string[] };
    const events = {
      user: [] as string[],
      match: [] as string[],
      round: [] as number[],
      score: [] as number[],
      guessMs: [] as number[],
      evidence: [] as number[],
      at: [] as string[],
    };
    const ranks = { user: [] as string[], mmr: [] as number[], games: [] as number[] };

    for (let i = 0; i < count; i++) {
      const matchId = randomUUID();
      const startedAt = baseTime + (offset + i) * 60_000;
      const endedAt = new Date(startedAt + rounds * 30_000).toISOString();
      const players = [randomUUID(), randomUUID()].map((userId) =>
        seedPlayer(userId, matchId, startedAt, rounds, random),
      ) as [SeededPlayer, SeededPlayer];
      matches.push({ matchId, playerIds: [players[0].userId, players[1].userId], players });
      match.ids.push(matchId);
      match.started.push(new Date(startedAt).toISOString());
      match.ended.push(endedAt);
      for (const player of players) {
        users.ids.push(player.userId);
        users.names.push(player.displayName);
        seats.match.push(matchId);
        seats.user.push(player.userId);
        seats.ended.push(endedAt);
        if (player.rating !== undefined && player.games !== undefined) {
          ranks.user.push(player.userId);
          ranks.mmr.push(player.rating);
          ranks.games.push(player.games);
        }
        for (const event of player.events) {
          events.user.push(player.userId);
          events.match.push(matchId);
          events.round.push(event.roundNumber);
          events.score.push(event.score);
          events.guessMs.push(event.guessMs);
          events.evidence.push(event.evidence);
          events.at.push(event.occurredAt);
        }
      }
    }

    await db.query('INSERT INTO users (id, display_name) SELECT * FROM unnest($1::uuid[], $2::text[])', [
      users.ids,
      users.names,
    ]);
    await db.query(
      `INSERT INTO match_history (match_id, mode, ranked, started_at, ended_at)
       SELECT id, 'duel', true, s, e FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS t(id, s, e)`,
      [match.ids, match.started, match.ended],
    );
    await db.query(
      `INSERT INTO match_players (match_id, user_id, ended_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[])`,
      [seats.match, seats.user, seats.ended],
    );
    await db.query(
      `INSERT INTO ranked_guess_events (user_id, match_id, round_number, score, guess_ms, evidence, occurred_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::smallint[], $4::smallint[], $5::int[], $6::real[],
                            $7::timestamptz[])`,
      [events.user, events.match, events.round, events.score, events.guessMs, events.evidence, events.at],
    );
    await db.query(
      `INSERT INTO ranks (user_id, mode, season_id, mmr)
       SELECT u, 'duel', $3, m FROM unnest($1::uuid[], $2::int[]) AS t(u, m)`,
      [ranks.user, ranks.mmr, seasonId],
    );
    await db.query(
      `INSERT INTO ranked_stats (user_id, mode, season_id, games_played)
       SELECT u, 'duel', $3, g FROM unnest($1::uuid[], $2::int[]) AS t(u, g)`,
      [ranks.user, ranks.games, seasonId],
    );
  }
  return { seasonId, matches };
}

/** A ranked match row with no guess events (the worker has no facts to send for it). */
export async function seedEmptyMatch(db: Queryable): Promise<string> {
  await ensureRankedSeason(db);
  const matchId = randomUUID();
  await db.query(
    `INSERT INTO match_history (match_id, mode, ranked, started_at, ended_at) VALUES ($1, 'duel', true, now(), now())`,
    [matchId],
  );
  return matchId;
}

function seedPlayer(
  userId: string,
  matchId: string,
  startedAt: number,
  rounds: number,
  random: () => number,
): SeededPlayer {
  const suspicious = random() < 0.2;
  const ranked = random() >= 0.25;
  const player: SeededPlayer = { userId, displayName: `seed-${userId.slice(0, 8)}`, events: [] };
  if (ranked) {
    player.rating = 800 + Math.floor(random() * 1600);
    player.games = 1 + Math.floor(random() * 300);
  }
  for (let round = rounds; round >= 1; round--) {
    player.events.push({
      matchId,
      roundNumber: round,
      score: suspicious ? 4_900 + Math.floor(random() * 101) : Math.floor(random() * 4_500),
      guessMs: suspicious ? 250 + Math.floor(random() * 900) : 4_000 + Math.floor(random() * 50_000),
      evidence: Math.round(random() * 1_000) / 1_000,
      occurredAt: new Date(startedAt + round * 30_000).toISOString(),
    });
  }
  return player;
}

// The active season as the API keeps it: the `ranked_season` setting, created naming
// SEED_SEASON_ID when missing and kept when a test set it.
async function ensureRankedSeason(db: Queryable): Promise<string> {
  await db.query(
    `INSERT INTO site_settings (key, value_json) VALUES ('ranked_season', $1) ON CONFLICT (key) DO NOTHING`,
    [{ activeSeasonId: SEED_SEASON_ID, monthlyResetDay: 1, lastResetAt: '2026-01-01T00:00:00Z' }],
  );
  const result = await db.query<{ id: string | null }>(
    `SELECT CASE WHEN jsonb_typeof(value_json->'activeSeasonId') = 'string'
                 THEN NULLIF(btrim(value_json->>'activeSeasonId'), '') END AS id
     FROM site_settings WHERE key = 'ranked_season'`,
  );
  return result.rows[0]?.id ?? 's2';
}

// Small deterministic PRNG (mulberry32): reproducible seed data without a dependency.
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
