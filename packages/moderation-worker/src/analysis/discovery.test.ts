import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { openTestPool, type TempDatabase, uniquePrefix } from '@geoduels/test-support';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoverySettings, WorkerConfig } from '../config.js';
import { migrateDown, migrateUp, REQUIRED_SCHEMA_VERSION, readSchemaVersion } from '../db/migrate.js';
import type { Database } from '../db/pool.js';
import { type RunningWorker, run } from '../main.js';
import { createWorkerMetrics, type WorkerMetrics } from '../runtime/metrics.js';
import type { HealthSnapshot } from '../runtime/readiness.js';
import { testWorkerConfig } from '../test-support/worker-config.js';
import {
  captureLogger,
  createMigratedDatabase,
  createMigratedTempDatabase,
  eventually,
  readyProducerConnection,
} from '../test-support/worker-harness.js';
import { type Discovery, type SweepOutcome, startDiscovery } from './discovery.js';
import { DEFAULT_JOB_OPTIONS, JOB_NAME, openRankedMatchQueue, rankedMatchJobId } from './job.js';

let temp: TempDatabase;
let db: Database;
let connection: Redis;
const queues: Queue[] = [];
const sweepers: Discovery[] = [];
const log = captureLogger('info');
const SETTINGS: DiscoverySettings = { enabled: true, intervalMs: 60_000, batchSize: 100, overlapMs: 300_000 };

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('discovery'));
  connection = await readyProducerConnection();
});

// Every test starts from a first start: no cursor, and every match of earlier tests analysed (run
// rows and the cursor are the worker's own tables; the API's rows are never deleted).
afterEach(async () => {
  await Promise.all(sweepers.splice(0).map((sweeper) => sweeper.stop()));
  await db.pool.query(
    `INSERT INTO risk_analysis_runs (match_id, status) SELECT match_id, 'analyzed' FROM match_history
     ON CONFLICT (match_id) DO NOTHING`,
  );
  await db.pool.query('DELETE FROM moderation_worker_discovery');
});

afterAll(async () => {
  for (const queue of queues) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  connection.disconnect();
  await db.pool.end();
  await temp.drop();
});

/** A queue under a prefix of its own, to observe what a sweeper enqueued. */
function freshQueue(): Queue {
  const queue = openRankedMatchQueue(connection, { prefix: uniquePrefix('discovery') });
  queues.push(queue);
  return queue;
}

/** A sweeper (one "replica") enqueuing into `queue`, on `redis` (default the shared producer connection). */
function sweeper(
  queue: Queue,
  settings: Partial<DiscoverySettings> = {},
  options: { loop?: boolean; redis?: Redis } = {},
): { discovery: Discovery; metrics: WorkerMetrics } {
  const metrics = createWorkerMetrics(new Registry());
  const discovery = startDiscovery({
    db,
    connection: options.redis ?? connection,
    queue: { prefix: queue.opts.prefix as string },
    settings: { ...SETTINGS, ...settings },
    logger: log.logger,
    metrics,
    loop: options.loop ?? false,
  });
  sweepers.push(discovery);
  return { discovery, metrics };
}

/**
 * Starts `pass` while every pass that reaches the scan of match_history is held there (a pass "in
 * flight"), runs `during` once it is held, then lets it go on. Resolves to the pass's own promise,
 * wrapped, so that its outcome (a rejection too) is the caller's to observe.
 */
async function whileHeldAtTheScan<T>(
  pass: () => Promise<T>,
  during: () => Promise<void>,
): Promise<{ outcome: Promise<T> }> {
  const blocker = await db.pool.connect();
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE risk_analysis_runs IN ACCESS EXCLUSIVE MODE');
  try {
    const outcome = pass();
    // Marked handled at once: the pass may fail as soon as the lock is released, before the caller's
    // `expect(...).rejects` is attached (which still sees the rejection).
    outcome.catch(() => undefined);
    await eventually(async () => {
      const waiting = await db.pool.query(
        `SELECT 1 FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM match_history mh%'`,
      );
      return waiting.rowCount === 1 ? true : undefined;
    });
    await during();
    return { outcome };
  } finally {
    await blocker.query('COMMIT');
    blocker.release();
  }
}

/** A persisted match as the API leaves it (only what discovery reads); `endedAt` is SQL. */
async function persistMatch(
  endedAt: string,
  shape: { ranked?: boolean; mode?: string } = {},
): Promise<string> {
  const matchId = randomUUID();
  await db.pool.query(
    `INSERT INTO match_history (match_id, mode, ranked, started_at, ended_at)
     VALUES ($1, $2, $3, ${endedAt} - interval '3 minutes', ${endedAt})`,
    [matchId, shape.mode ?? 'duel', shape.ranked ?? true],
  );
  return matchId;
}

/** The outcomes counted so far (every outcome's series exists from start, at zero: those are left out). */
async function counter(metric: WorkerMetrics['discoveryMatches']): Promise<Record<string, number>> {
  const counted = (await metric.get()).values.filter((v) => v.value !== 0);
  return Object.fromEntries(counted.map((v) => [String(v.labels.outcome), v.value]));
}

async function cursorRow(): Promise<Record<string, unknown> | undefined> {
  return (await db.pool.query('SELECT * FROM moderation_worker_discovery')).rows[0];
}

function swept(outcome: SweepOutcome) {
  if (outcome.kind !== 'swept') throw new Error(`expected a sweep, got ${outcome.kind}`);
  return outcome;
}

describe('the discovery sweep', () => {
  it('enqueues a ranked duel persisted without any enqueue, with the usual job id, name, data and options', async () => {
    const queue = freshQueue();
    const matchId = await persistMatch(`now() - interval '2 seconds'`);
    const { discovery, metrics } = sweeper(queue);

    expect(await discovery.sweepOnce()).toEqual({
      kind: 'swept',
      found: 1,
      queued: 1,
      alreadyQueued: 0,
      full: false,
    });
    const job = await queue.getJob(rankedMatchJobId(matchId));
    expect(job).toMatchObject({
      name: JOB_NAME,
      data: { matchId },
      opts: { attempts: DEFAULT_JOB_OPTIONS.attempts },
    });
    expect(await counter(metrics.discoveryMatches)).toEqual({ queued: 1 });
    expect(discovery.status()).toMatchObject({ enabled: true, lastSweepAt: expect.any(String) });
    expect(discovery.status().lagSeconds).toBeLessThan(5);
  });

  it('leaves unranked matches, other modes and matches that already have a run alone', async () => {
    const queue = freshQueue();
    const unranked = await persistMatch('now()', { ranked: false });
    const party = await persistMatch('now()', { mode: 'party' });
    const analysed = await persistMatch('now()');
    await db.pool.query(`INSERT INTO risk_analysis_runs (match_id, status) VALUES ($1, 'deferred')`, [
      analysed,
    ]);

    expect(swept(await sweeper(queue).discovery.sweepOnce()).found).toBe(0);
    for (const matchId of [unranked, party, analysed]) {
      expect(await queue.getJob(rankedMatchJobId(matchId))).toBeUndefined();
    }
  });

  it('finds a match enqueued but not yet run again within the overlap, and leaves it one job', async () => {
    const queue = freshQueue();
    const matchId = await persistMatch(`now() - interval '1 second'`);
    const { discovery, metrics } = sweeper(queue);
    await discovery.sweepOnce();

    expect(await discovery.sweepOnce()).toEqual({
      kind: 'swept',
      found: 1,
      queued: 0,
      alreadyQueued: 1,
      full: false,
    });
    expect((await queue.getJobCounts('waiting')).waiting).toBe(1);
    expect((await queue.getJob(rankedMatchJobId(matchId)))?.data).toEqual({ matchId });
    expect(await counter(metrics.discoveryMatches)).toEqual({ queued: 1, already_queued: 1 });
  });

  it('on the first start looks back only the overlap behind now, leaving older history to backfill', async () => {
    const queue = freshQueue();
    const old = await persistMatch(`now() - interval '10 minutes'`);
    const recent = await persistMatch(`now() - interval '4 minutes'`);

    expect(swept(await sweeper(queue).discovery.sweepOnce()).queued).toBe(1);
    expect(await queue.getJob(rankedMatchJobId(recent))).toBeDefined();
    expect(await queue.getJob(rankedMatchJobId(old))).toBeUndefined();
  });

  it('finds a match whose ended_at is behind the cursor but whose transaction committed after the pass', async () => {
    const queue = freshQueue();
    const { discovery } = sweeper(queue);
    const api = await db.pool.connect();
    const matchId = randomUUID();
    try {
      await api.query('BEGIN');
      // ended_at is set before the commit, as the API does when it finalises a match.
      await api.query(
        `INSERT INTO match_history (match_id, mode, ranked, ended_at) VALUES ($1, 'duel', true, clock_timestamp())`,
        [matchId],
      );
      expect(swept(await discovery.sweepOnce()).found).toBe(0);
      await api.query('COMMIT');
    } finally {
      api.release();
    }
    const cursor = await db.pool.query<{ behind: boolean }>(
      `SELECT swept_to > (SELECT ended_at FROM match_history WHERE match_id = $1) AS behind
       FROM moderation_worker_discovery`,
      [matchId],
    );
    expect(cursor.rows[0]).toEqual({ behind: true });

    expect(await discovery.sweepOnce()).toMatchObject({ kind: 'swept', found: 1, queued: 1 });
    expect(await queue.getJob(rankedMatchJobId(matchId))).toBeDefined();
  });

  it('lets one replica sweep at a time: a pass that finds the cursor taken skips, and enqueues nothing', async () => {
    const queue = freshQueue();
    const first = sweeper(queue);
    const second = sweeper(queue);
    await first.discovery.sweepOnce();
    const matchId = await persistMatch('now()');

    const { outcome: firstPass } = await whileHeldAtTheScan(
      () => first.discovery.sweepOnce(),
      async () => {
        expect(await second.discovery.sweepOnce()).toEqual({ kind: 'locked' });
        expect(await queue.getJob(rankedMatchJobId(matchId))).toBeUndefined();
        // The skipping replica still reports the sweep the other one last completed.
        expect(second.discovery.status()).toMatchObject({
          lastSweepAt: expect.any(String),
          lagSeconds: expect.any(Number),
        });
        expect(await counter(second.metrics.discoveryPasses)).toEqual({ locked: 1 });
      },
    );
    expect(await firstPass).toMatchObject({ kind: 'swept', found: 1, queued: 1 });
    // The other replica swept moments ago: with a minute's interval, this one's next pass is not due.
    expect(await second.discovery.sweepOnce()).toEqual({ kind: 'not_due' });
    expect(await counter(second.metrics.discoveryPasses)).toEqual({ locked: 1, not_due: 1 });
    expect((await queue.getJobCounts('waiting')).waiting).toBe(1);
  });

  it('enqueues at most a batch per pass and continues after the last one, finding each match once', async () => {
    const queue = freshQueue();
    const ids = [];
    for (let i = 5; i >= 1; i--) ids.push(await persistMatch(`now() - interval '${i} seconds'`));
    const { discovery } = sweeper(queue, { batchSize: 2 });

    const passes = [await discovery.sweepOnce(), await discovery.sweepOnce(), await discovery.sweepOnce()];
    expect(passes.map((pass) => [swept(pass).queued, swept(pass).alreadyQueued, swept(pass).full])).toEqual([
      [2, 0, true],
      [2, 0, true],
      [1, 0, false],
    ]);
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.map((job) => job.data.matchId).sort()).toEqual([...ids].sort());
  });

  it('runs the next pass at once while passes are full, and waits the interval otherwise', async () => {
    const queue = freshQueue();
    for (let i = 7; i >= 1; i--) await persistMatch(`now() - interval '${i} seconds'`);
    const { metrics } = sweeper(queue, { batchSize: 2, intervalMs: 60_000 }, { loop: true });

    // Four passes (2 + 2 + 2 + 1) within moments, although the interval is a minute.
    await eventually(async () => ((await queue.getJobCounts('waiting')).waiting === 7 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await counter(metrics.discoveryPasses)).toEqual({ swept: 4 });
  });

  it('rolls the pass back when Redis goes away mid-pass, so the next pass finds the match again', async () => {
    const queue = freshQueue();
    const redis = await readyProducerConnection();
    const lost = sweeper(queue, {}, { redis });
    await lost.discovery.sweepOnce();
    const before = await cursorRow();
    const matchId = await persistMatch('now()');

    const { outcome: pass } = await whileHeldAtTheScan(
      () => lost.discovery.sweepOnce(),
      async () => redis.disconnect(),
    );
    await expect(pass).rejects.toMatchObject({
      name: 'DiscoveryRedisError',
      code: 'discovery_redis_unavailable',
      matchId,
    });
    expect(await cursorRow()).toEqual(before);
    // ioredis 6 fails the pass's commands as soon as the socket goes, before the client itself
    // leaves `ready`: wait for the client to know.
    if (redis.status !== 'end') await once(redis, 'end');
    // Redis still gone: the next pass does not even take the cursor.
    await expect(lost.discovery.sweepOnce()).rejects.toMatchObject({ matchId: null });

    await redis.connect();
    expect(await lost.discovery.sweepOnce()).toMatchObject({ kind: 'swept', found: 1, queued: 1 });
    expect(await queue.getJob(rankedMatchJobId(matchId))).toBeDefined();
    redis.disconnect();
  });
});

describe('discovery in the worker process', () => {
  let worker: RunningWorker | undefined;
  const prefix = uniquePrefix('discovery-run');

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });
  afterAll(async () => {
    const queue = openRankedMatchQueue(connection, { prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  });

  function config(discovery: Partial<DiscoverySettings>): WorkerConfig {
    return testWorkerConfig({
      postgresUrl: temp.url,
      queuePrefix: prefix,
      concurrency: 1,
      batchSize: 8,
      discovery: { ...SETTINGS, intervalMs: 20, ...discovery },
    });
  }

  async function health(): Promise<HealthSnapshot> {
    return (await fetch(`http://127.0.0.1:${worker?.port}/health/ready`)).json() as Promise<HealthSnapshot>;
  }

  async function lastSweepAt(): Promise<string | null> {
    const row = await db.pool.query<{ at: string }>(
      'SELECT last_sweep_at::text AS at FROM moderation_worker_discovery',
    );
    return row.rows[0]?.at ?? null;
  }

  it('never sweeps when switched off, and reports it so in the readiness body', async () => {
    const matchId = await persistMatch('now()');
    worker = await run(config({ enabled: false }), { logger: log.logger, probeIntervalMs: 20 });
    await eventually(async () => ((await health()).ready ? true : undefined));
    // Many intervals of 20 ms.
    await new Promise((resolve) => setTimeout(resolve, 400));

    expect((await health()).discovery).toEqual({ enabled: false, lastSweepAt: null, lagSeconds: null });
    expect(await lastSweepAt()).toBeNull();
    const queue = openRankedMatchQueue(connection, { prefix });
    try {
      expect(await queue.getJob(rankedMatchJobId(matchId))).toBeUndefined();
    } finally {
      await queue.close();
    }
  });

  it('sweeps when on, reports its lag without ever failing readiness, and stops sweeping when it drains', async () => {
    const matchId = await persistMatch('now()');
    // Another replica holds the cursor for a day-old sweep: this one only skips, and its lag is large.
    await db.pool.query(
      `INSERT INTO moderation_worker_discovery (swept_to, last_sweep_at) VALUES (now() - interval '1 day', now())`,
    );
    const replica = await db.pool.connect();
    try {
      await replica.query('BEGIN');
      await replica.query('SELECT 1 FROM moderation_worker_discovery FOR UPDATE');
      worker = await run(config({ enabled: true }), { logger: log.logger, probeIntervalMs: 20 });
      const stale = await eventually(async () => {
        const body = await health();
        return body.ready && body.discovery.lagSeconds !== null ? body : undefined;
      });
      expect(stale.discovery).toMatchObject({ enabled: true, lastSweepAt: expect.any(String) });
      expect(stale.discovery.lagSeconds).toBeGreaterThan(86_000);
    } finally {
      await replica.query('ROLLBACK');
      replica.release();
    }

    const queue = openRankedMatchQueue(connection, { prefix });
    try {
      await eventually(async () => ((await queue.getJob(rankedMatchJobId(matchId))) ? true : undefined));
      const fresh = await eventually(async () => {
        const body = await health();
        return body.discovery.lagSeconds !== null && body.discovery.lagSeconds < 5 ? body : undefined;
      });
      expect(fresh.ready).toBe(true);
      const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
      expect(metrics).toContain('moderation_discovery_matches_total{outcome="queued"} 1');
      expect(metrics).toMatch(/moderation_discovery_lag_seconds \d/);
    } finally {
      await queue.close();
    }

    await worker.stop();
    worker = undefined;
    const afterStop = await lastSweepAt();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await lastSweepAt()).toBe(afterStop);
  });
});

describe('the discovery migration', () => {
  it('creates only the cursor table, and its down drops only that table', async () => {
    const other = await createMigratedTempDatabase('discovery_migration');
    const pool = openTestPool(other.url, 1);
    const tables = async () =>
      (
        await pool.query<{ name: string }>(
          `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
        )
      ).rows.map((row) => row.name);
    try {
      // Down to this migration's version first: later migrations have tables of their own.
      await migrateDown(other.url, { steps: REQUIRED_SCHEMA_VERSION - 2 });
      const migrated = await tables();
      expect(migrated).toContain('moderation_worker_discovery');
      expect(await readSchemaVersion(pool)).toEqual({ version: 2, dirty: false });

      await migrateDown(other.url, { steps: 1 });
      expect(await tables()).toEqual(migrated.filter((name) => name !== 'moderation_worker_discovery'));
      expect(await readSchemaVersion(pool)).toEqual({ version: 1, dirty: false });

      await migrateUp(other.url, { steps: 1 });
      expect(await tables()).toEqual(migrated);
    } finally {
      await pool.end();
      await other.drop();
    }
  });
});
