// Test-only: a migrated database per file, seeding helpers, a capturing logger, and a worker
// wired to a real Redis prefix and a fake engine over a real socket.
import { Writable } from 'node:stream';
import { type Detector, type FakeRiskEngine, startFakeRiskEngine } from '@geoduels/fake-risk-engine';
import { createRiskClient, createRiskEngineConfig, type RiskClient } from '@geoduels/risk-client';
import type { RawSignal } from '@geoduels/risk-client/signals';
import { createWorkerDatabase, REDIS_URL, type TempDatabase, uniquePrefix } from '@geoduels/test-support';
import { type Job, Queue, QueueEvents, type Telemetry, type Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { AnalyzeMatchDeps } from '../analysis/analyze-match.js';
import { watchEngine } from '../analysis/engine-watch.js';
import { createProducerConnection, DEFAULT_JOB_OPTIONS, QUEUE_NAME } from '../analysis/job.js';
import { type AnalysisWorkerDeps, createAnalysisWorker } from '../analysis/worker.js';
import { migrateUp } from '../db/migrate.js';
import { createDatabase, type Database } from '../db/pool.js';
import { createLogger } from '../runtime/logger.js';
import { createWorkerMetrics, type WorkerMetrics } from '../runtime/metrics.js';
import type { RedisConnection } from '../runtime/redis-connection.js';

/** A fresh database with the API schema and every migration applied; `drop()` removes it. */
export function createMigratedTempDatabase(label: string): Promise<TempDatabase> {
  return createWorkerDatabase(label, { migrate: migrateUp });
}

/** createMigratedTempDatabase, plus the worker's own pool on it. */
export async function createMigratedDatabase(label: string): Promise<{ temp: TempDatabase; db: Database }> {
  const temp = await createMigratedTempDatabase(label);
  return { temp, db: createDatabase({ url: temp.url, maxConns: 5, pgbouncer: false }) };
}

/** One parsed pino line. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A logger whose JSON lines are kept in memory. */
export function captureLogger(level: 'debug' | 'info' = 'debug'): {
  logger: Logger;
  lines: () => LogLine[];
  text: () => string;
} {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger(level, stream as unknown as import('pino').DestinationStream);
  const text = () => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as LogLine),
  };
}

/** A ranked player of a seeded match. */
export interface SeedPlayer {
  userId: string;
  /** users.display_name (default `player-<first 8 characters of the id>`; may be empty). */
  displayName?: string;
  mmr?: number;
  games?: number;
  /** [roundNumber, score, guessMs, evidence, occurredAt ISO] */
  events: Array<[number, number, number, number, string]>;
}

/** The season the harness names in `site_settings` when a test has not set one: not production's fallback `s2`. */
export const SEED_SEASON_ID = 's5';

/**
 * Seeds one ranked duel as the API finalises it: its players (users), the match_history row (mode
 * `duel`, ranked, ended), one match_players row per player, their guess events, and their rank and
 * stats in the active season. The season is the `site_settings` `ranked_season` row, created naming
 * SEED_SEASON_ID when missing; a season a test set is kept and used.
 */
export async function seedMatch(db: Database, matchId: string, players: SeedPlayer[]): Promise<void> {
  const season = await ensureRankedSeason(db);
  await db.pool.query(
    `INSERT INTO match_history (match_id, mode, ranked, started_at, ended_at, source_kind)
     VALUES ($1, 'duel', true, now() - interval '5 minutes', now(), 'queue')`,
    [matchId],
  );
  for (const player of players) {
    await db.pool.query('INSERT INTO users (id, display_name) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      player.userId,
      player.displayName ?? `player-${player.userId.slice(0, 8)}`,
    ]);
    await db.pool.query(
      `INSERT INTO match_players (match_id, user_id, ended_at, rating_before) VALUES ($1, $2, now(), $3)`,
      [matchId, player.userId, player.mmr ?? 500],
    );
    if (player.mmr !== undefined) {
      await db.pool.query(
        `INSERT INTO ranks (user_id, mode, season_id, mmr) VALUES ($1, 'duel', $2, $3)
         ON CONFLICT (user_id, mode, season_id) DO UPDATE SET mmr = EXCLUDED.mmr`,
        [player.userId, season, player.mmr],
      );
    }
    if (player.games !== undefined) {
      await db.pool.query(
        `INSERT INTO ranked_stats (user_id, mode, season_id, games_played) VALUES ($1, 'duel', $2, $3)
         ON CONFLICT (user_id, mode, season_id) DO UPDATE SET games_played = EXCLUDED.games_played`,
        [player.userId, season, player.games],
      );
    }
    for (const [round, score, guessMs, evidence, occurredAt] of player.events) {
      await db.pool.query(
        `INSERT INTO ranked_guess_events (user_id, match_id, round_number, score, guess_ms, evidence, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [player.userId, matchId, round, score, guessMs, evidence, occurredAt],
      );
    }
  }
}

/**
 * Writes the `ranked_season` setting naming `seasonId` (`{activeSeasonId, monthlyResetDay,
 * lastResetAt}` as the API keeps it), replacing any value; what a season rollover looks like.
 */
export async function setRankedSeason(db: Database, seasonId: string): Promise<void> {
  await db.pool.query(
    `INSERT INTO site_settings (key, value_json, updated_at) VALUES ('ranked_season', $1, now())
     ON CONFLICT (key) DO UPDATE SET value_json = EXCLUDED.value_json, updated_at = now()`,
    [{ activeSeasonId: seasonId, monthlyResetDay: 1, lastResetAt: '2026-01-01T00:00:00Z' }],
  );
}

// The season the seeded ranks belong to: the id the setting names (SEED_SEASON_ID when there is no
// setting yet). A test that wrote a malformed setting seeds ranks under production's fallback `s2`.
async function ensureRankedSeason(db: Database): Promise<string> {
  await db.pool.query(
    `INSERT INTO site_settings (key, value_json) VALUES ('ranked_season', $1) ON CONFLICT (key) DO NOTHING`,
    [{ activeSeasonId: SEED_SEASON_ID, monthlyResetDay: 1, lastResetAt: '2026-01-01T00:00:00Z' }],
  );
  const result = await db.pool.query<{ id: string | null }>(
    `SELECT CASE WHEN jsonb_typeof(value_json->'activeSeasonId') = 'string'
                 THEN NULLIF(btrim(value_json->>'activeSeasonId'), '') END AS id
     FROM site_settings WHERE key = 'ranked_season'`,
  );
  return result.rows[0]?.id ?? 's2';
}

/** A fake-engine detector that returns whatever the test sets, for every request. */
export function scriptedDetector(): Detector & { signals: RawSignal[] } {
  const detector = {
    name: 'scripted',
    signals: [] as RawSignal[],
    detect: () => detector.signals,
  };
  return detector;
}

/** Starts a fake engine running only `detector`. */
export function startScriptedEngine(detector: Detector, token?: string): Promise<FakeRiskEngine> {
  return startFakeRiskEngine({ detectors: [detector], ...(token !== undefined && { token }) });
}

/** A real risk client for a fake engine (or disabled when `url` is null). */
export function clientFor(
  url: string | null,
  options: { token?: string; breakerResetMs?: number } = {},
): RiskClient {
  const config = createRiskEngineConfig({
    enabled: url !== null,
    url,
    token: options.token ?? null,
    timeoutMs: 500,
  });
  return createRiskClient(config, {
    breaker: {
      volumeThreshold: 2,
      errorThresholdPercentage: 50,
      resetTimeoutMs: options.breakerResetMs ?? 60_000,
    },
  });
}

/** A worker on its own Redis prefix, with everything a test inspects. */
export interface TestWorker {
  /** The worker's BullMQ prefix (its keys all start with it). */
  prefix: string;
  queue: Queue;
  events: QueueEvents;
  worker: Worker;
  metrics: WorkerMetrics;
  /** Resolves when the job settles as completed or failed. */
  settled(jobId: string): Promise<Job>;
  close(): Promise<void>;
}

/** Starts an analysis worker for `flow` on a unique prefix (its processing traced with `telemetry` when given). */
export async function startTestWorker(
  flow: AnalyzeMatchDeps,
  client: RiskClient,
  logger: Logger,
  concurrency = 4,
  telemetry?: Telemetry,
  more: Partial<Pick<AnalysisWorkerDeps, 'parking' | 'deferralBackoff'>> = {},
): Promise<TestWorker> {
  const prefix = uniquePrefix('w');
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE_NAME, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  const events = new QueueEvents(QUEUE_NAME, { connection: { url: REDIS_URL }, prefix });
  await events.waitUntilReady();
  const metrics = createWorkerMetrics(new Registry());
  const worker = createAnalysisWorker({
    connection,
    prefix,
    concurrency,
    flow,
    logger,
    metrics,
    engine: watchEngine(client, logger, metrics),
    breaker: client,
    deferralBackoff: { baseMs: 30, capMs: 200, jitter: 0 },
    ...(telemetry !== undefined && { telemetry }),
    ...more,
  });
  await worker.waitUntilReady();
  const settled = (jobId: string) =>
    new Promise<Job>((resolve, reject) => {
      // State first, then the job: a job read while still active and found completed a moment
      // later would come back without its return value.
      const check = async () => {
        const state = await queue.getJobState(jobId);
        if (state !== 'completed' && state !== 'failed') return;
        const job = await queue.getJob(jobId);
        if (job) resolve(job);
      };
      const onEvent = ({ jobId: id }: { jobId: string }) => {
        if (id === jobId) check().catch(reject);
      };
      events.on('completed', onEvent);
      events.on('failed', onEvent);
      check().catch(reject);
    });
  return {
    prefix,
    queue,
    events,
    worker,
    metrics,
    settled,
    async close() {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    },
  };
}

/** Awaits `probe` until it returns a value other than undefined (bounded by the test timeout). */
export async function eventually<T>(probe: () => Promise<T | undefined>, pauseMs = 25): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

/**
 * `promise`, or a rejection saying what did not happen once `ms` have passed: a test that waits for
 * something that a regression prevents fails fast, naming it, not at the test timeout.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The state a job reaches once it has left the wait and active lists (completed, failed, delayed),
 * within `ms`: a job that should fail for good and is instead retried is seen as `delayed` at once.
 */
export async function stateAfterRun(queue: Queue, jobId: string, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  let state = 'unknown';
  while (Date.now() < deadline) {
    state = await queue.getJobState(jobId);
    if (state === 'completed' || state === 'failed' || state === 'delayed') return state;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`job ${jobId} still ${state} after ${ms} ms: it never ran to an end`);
}

/** Resolves to `connection` once it is ready. */
export async function readyConnection<C extends RedisConnection>(connection: C): Promise<C> {
  await eventually(async () => (connection.status === 'ready' ? true : undefined));
  return connection;
}

/**
 * A producer connection (as the API opens one) to the test Redis, once it is ready; its error events
 * are ignored, tests see a lost Redis through what they call on it.
 */
export function readyProducerConnection(): Promise<Redis> {
  const connection = createProducerConnection(REDIS_URL);
  connection.on('error', () => undefined);
  return readyConnection(connection);
}
