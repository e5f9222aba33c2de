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

/**
 * Inserts users, an active season (reused when one exists), ranked duels with two players each,
 * their guess events, ranks and ranked stats, with one `unnest` INSERT per table per batch.
 * A fifth of the players are "suspicious" (near-perfect scores in very little time) and every
 * fourth player has no rank row, so the facts and the fake's detectors see varied input. Every
 * player plays only their one match, so the returned players are exactly the facts the worker sends.
 */
export async function seedRankedMatches(db: Queryable, options: SeedOptions): Promise<SeedResult> {
  const rounds = options.roundsPerMatch ?? 5;
  const batchSize = options.batchSize ?? 1_000;
  const random = mulberry32(options.seed ?? 1);
  const seasonId = await ensureActiveSeason(db);
  const matches: SeededMatch[] = [];
  const baseTime = Date.UTC(2026, 0, 15, 12, 0, 0);

  for (let offset = 0; offset < options.matches; offset += batchSize) {
    const count = Math.min(batchSize, options.matches - offset);
    const users: string[] = [];
    const match = { ids: [] as string[], started: [] as string[], finished: [] as string[] };
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
      const players = [randomUUID(), randomUUID()].map((userId) =>
        seedPlayer(userId, matchId, startedAt, rounds, random),
      ) as [SeededPlayer, SeededPlayer];
      matches.push({ matchId, playerIds: [players[0].userId, players[1].userId], players });
      match.ids.push(matchId);
      match.started.push(new Date(startedAt).toISOString());
      match.finished.push(new Date(startedAt + rounds * 30_000).toISOString());
      for (const player of players) {
        users.push(player.userId);
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

    await db.query('INSERT INTO users (id, username) SELECT id, $2 || id FROM unnest($1::uuid[]) AS id', [
      users,
      'seed-',
    ]);
    await db.query(
      `INSERT INTO match_history (match_id, mode, ranked, season_id, started_at, finished_at)
       SELECT id, 'duel', true, $4, s, f FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS t(id, s, f)`,
      [match.ids, match.started, match.finished, seasonId],
    );
    await db.query(
      `INSERT INTO ranked_guess_events (user_id, match_id, round_number, score, guess_ms, evidence, occurred_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[], $5::int[], $6::float8[], $7::timestamptz[])`,
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
  const seasonId = await ensureActiveSeason(db);
  const matchId = randomUUID();
  await db.query(
    `INSERT INTO match_history (match_id, mode, ranked, season_id, started_at, finished_at)
     VALUES ($1, 'duel', true, $2, now(), now())`,
    [matchId, seasonId],
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
  const player: SeededPlayer = { userId, events: [] };
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

async function ensureActiveSeason(db: Queryable): Promise<string> {
  const existing = await db.query<{ id: string }>('SELECT id FROM seasons WHERE is_active');
  if (existing.rows[0] !== undefined) return existing.rows[0].id;
  const id = randomUUID();
  await db.query(
    `INSERT INTO seasons (id, name, starts_at, is_active) VALUES ($1, 'E2E season', '2026-01-01T00:00:00Z', true)`,
    [id],
  );
  return id;
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
