// Parking and the recovery sweep against a real Redis, PostgreSQL and the fake engine over a socket.
// Time passes through injected clocks (the flow's and the sweep's), never through sleeps.
import type { FakeRiskEngine } from '@geoduels/fake-risk-engine';
import type { RiskClient } from '@geoduels/risk-client';
import { openTestPool, REDIS_URL, type TempDatabase } from '@geoduels/test-support';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrateDown, migrateUp, REQUIRED_SCHEMA_VERSION, readSchemaVersion } from '../db/migrate.js';
import type { Database } from '../db/pool.js';
import { createWorkerMetrics, type WorkerMetrics } from '../runtime/metrics.js';
import {
  captureLogger,
  clientFor,
  createMigratedDatabase,
  createMigratedTempDatabase,
  eventually,
  readyProducerConnection,
  scriptedDetector,
  seedMatch,
  startScriptedEngine,
  startTestWorker,
  type TestWorker,
} from '../test-support/worker-harness.js';
import { watchEngine } from './engine-watch.js';
import { enqueueRankedMatchPersisted, rankedMatchJobId } from './job.js';
import { directMatchStore } from './match-io.js';
import { type RecoveryScope, recoveryScope, startRecoverySweep } from './parked-sweep.js';
import { postgresRunParker } from './parking.js';

let temp: TempDatabase;
let db: Database;
let engine: FakeRiskEngine;
let redis: Redis;
const detector = scriptedDetector();
const cleanups: Array<() => Promise<unknown>> = [];
let seq = 0;

const A = '51000000-0000-4000-8000-00000000000a';
const B = '51000000-0000-4000-8000-00000000000b';
const PARK_AFTER_MS = 60_000;
const MAX_DEFER_MS = 3_600_000;
// Where the injected clocks stand: an offset from the system clock, moved by the tests.
let skewMs = 0;
const clock = () => new Date(Date.now() + skewMs);

async function newMatch(): Promise<string> {
  seq += 1;
  const matchId = `61000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  await seedMatch(db, matchId, [
    { userId: A, events: [[1, 4000, 2000, 0.5, '2026-02-28T10:00:00Z']] },
    { userId: B, events: [[1, 3000, 6000, 0.1, '2026-02-28T10:00:00Z']] },
  ]);
  return matchId;
}

/** A worker that parks after PARK_AFTER_MS by the injected clock; a deferral that is not parked waits an hour. */
async function parkingWorker(engineDown?: () => boolean): Promise<TestWorker & { client: RiskClient }> {
  const client = clientFor(engine.url);
  const flow = { store: directMatchStore(db), analyzer: client, now: clock, maxDeferMs: MAX_DEFER_MS };
  const started = await startTestWorker(flow, client, captureLogger().logger, 4, undefined, {
    parking: { afterMs: PARK_AFTER_MS, parker: postgresRunParker(db), ...(engineDown && { engineDown }) },
    deferralBackoff: { baseMs: 3_600_000, capMs: 3_600_000, jitter: 0 },
  });
  cleanups.push(async () => {
    await started.close();
    await client.close();
  });
  return { ...started, client };
}

async function sweep(
  w: Pick<TestWorker, 'prefix'>,
  options: { scope?: () => RecoveryScope; loop?: boolean; intervalMs?: number } = {},
) {
  const connection = await readyProducerConnection();
  const metrics = createWorkerMetrics(new Registry());
  const started = startRecoverySweep({
    db,
    connection,
    queue: { prefix: w.prefix },
    scope: options.scope ?? (() => 'all'),
    batchSize: 10,
    intervalMs: options.intervalMs ?? 3_600_000,
    maxDeferMs: MAX_DEFER_MS,
    logger: captureLogger().logger,
    metrics,
    now: clock,
    loop: options.loop ?? false,
  });
  cleanups.push(async () => {
    await started.stop();
    connection.disconnect();
  });
  return Object.assign(started, { metrics });
}

async function runRow(matchId: string) {
  const result = await db.pool.query<{
    status: string;
    parked_at: Date | null;
    deferred_since: Date | null;
    first_seen_at: Date;
  }>('SELECT status, parked_at, deferred_since, first_seen_at FROM risk_analysis_runs WHERE match_id = $1', [
    matchId,
  ]);
  return result.rows[0];
}

/** Every key under the worker's prefix that belongs to the match's job. */
async function jobKeys(w: Pick<TestWorker, 'prefix'>, matchId: string): Promise<string[]> {
  return redis.keys(`${w.prefix}:*${rankedMatchJobId(matchId)}*`);
}

/** Enqueues a match while the engine rate-limits (no breaker trip) and waits until it is parked. */
async function parkedMatch(w: TestWorker): Promise<string> {
  const matchId = await newMatch();
  await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.prefix });
  await eventually(async () => ((await runRow(matchId))?.parked_at ? true : undefined));
  await eventually(async () => ((await jobKeys(w, matchId)).length === 0 ? true : undefined));
  return matchId;
}

async function metricValue(metrics: WorkerMetrics, name: string, labels: Record<string, string> = {}) {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const found = metric?.values.find((v) =>
    Object.entries(labels).every(([k, value]) => v.labels[k] === value),
  );
  return found?.value ?? 0;
}

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('parking'));
  engine = await startScriptedEngine(detector);
  redis = new Redis(REDIS_URL);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  engine.reset();
  detector.signals = [];
  skewMs = 0;
  await db.pool.query('TRUNCATE risk_analysis_runs');
});
afterAll(async () => {
  redis.disconnect();
  await engine.stop();
  await db.pool.end();
  await temp.drop();
});

describe('parking', () => {
  it('parks a match deferred past the threshold: its job leaves Redis, its run stays deferred', async () => {
    const w = await parkingWorker();
    engine.setFault({ kind: 'rate_limit', retryAfter: 1 });
    // Below the threshold a deferred match stays in Redis, delayed.
    const waiting = await newMatch();
    await enqueueRankedMatchPersisted(w.queue, waiting, { prefix: w.prefix });
    await eventually(async () =>
      (await w.queue.getJobState(rankedMatchJobId(waiting))) === 'delayed' ? true : undefined,
    );
    expect(await runRow(waiting)).toMatchObject({ status: 'deferred', parked_at: null });

    skewMs = PARK_AFTER_MS;
    const matchId = await newMatch();
    const enqueued = await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.prefix });
    expect(enqueued.ok).toBe(true);
    await eventually(async () => ((await runRow(matchId))?.parked_at ? true : undefined));
    await eventually(async () => ((await jobKeys(w, matchId)).length === 0 ? true : undefined));
    expect(await w.queue.getJob(rankedMatchJobId(matchId))).toBeUndefined();
    const row = await runRow(matchId);
    expect(row).toMatchObject({ status: 'deferred' });
    // The window opened at the first sighting (the enqueue came before it).
    expect(row!.deferred_since).toEqual(row!.first_seen_at);
    expect(await metricValue(w.metrics, 'moderation_parked_matches_total', { reason: 'rate_limited' })).toBe(
      1,
    );
    expect(await w.queue.getJobState(rankedMatchJobId(waiting))).toBe('delayed');
  });

  it('parks a due match at once while the engine is known down: no facts read, no engine call', async () => {
    const w = await parkingWorker(() => true);
    const young = await newMatch();
    await enqueueRankedMatchPersisted(w.queue, young, { prefix: w.prefix });
    // Not due: it takes the usual path (here the engine answers).
    await w.settled(rankedMatchJobId(young));
    expect(await runRow(young)).toMatchObject({ status: 'analyzed' });
    expect(engine.requestCount()).toBe(1);

    skewMs = PARK_AFTER_MS;
    const matchId = await newMatch();
    await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.prefix });
    await eventually(async () => ((await runRow(matchId))?.parked_at ? true : undefined));
    await eventually(async () => ((await jobKeys(w, matchId)).length === 0 ? true : undefined));
    expect(await runRow(matchId)).toMatchObject({ status: 'deferred' });
    expect(engine.requestCount()).toBe(1);
    expect(await metricValue(w.metrics, 'moderation_parked_matches_total', { reason: 'breaker_open' })).toBe(
      1,
    );
    // An analysed run is never parked, even when its match comes round again during an outage.
    expect(await postgresRunParker(db).parkUntried(young, new Date(0), clock())).toBe(false);
    expect(await runRow(young)).toMatchObject({ status: 'analyzed', parked_at: null });
  });

  it('brings parked matches back once the engine answers, and analyses each exactly once', async () => {
    const w = await parkingWorker();
    engine.setFault({ kind: 'rate_limit', retryAfter: 1 });
    skewMs = PARK_AFTER_MS;
    const parked = [await parkedMatch(w), await parkedMatch(w)];
    const s = await sweep(w, { scope: () => 'none' });
    expect(await s.sweepOnce()).toMatchObject({ scope: 'none', requeued: 0, parked: 2 });
    expect(await metricValue(s.metrics, 'moderation_parked_matches')).toBe(2);

    engine.clearFaults();
    engine.reset();
    detector.signals = [{ subjectUserId: A, reasonCode: 'back', severity: 'high', score: 0.7 }];
    const recovered = await sweep(w);
    expect(await recovered.sweepOnce()).toMatchObject({ scope: 'all', requeued: 2, abandoned: 0 });
    for (const matchId of parked) {
      const job = await w.settled(rankedMatchJobId(matchId));
      expect(job.returnvalue).toMatchObject({ kind: 'analyzed', signalCount: 1 });
      expect(await runRow(matchId)).toMatchObject({ status: 'analyzed', parked_at: null });
    }
    expect(engine.requestCount()).toBe(2);
    expect(await recovered.sweepOnce()).toMatchObject({ requeued: 0, alreadyQueued: 0, parked: 0 });
    expect(await metricValue(recovered.metrics, 'moderation_parked_requeued_total')).toBe(2);
    expect(engine.requestCount()).toBe(2);
  });

  it('picks parked matches up on start, as after a restart', async () => {
    const w = await parkingWorker();
    engine.setFault({ kind: 'rate_limit', retryAfter: 1 });
    skewMs = PARK_AFTER_MS;
    const matchId = await parkedMatch(w);
    engine.clearFaults();
    // A new process's sweep passes at once; its interval (an hour) never comes.
    await sweep(w, { loop: true });
    await eventually(async () => ((await runRow(matchId))?.status === 'analyzed' ? true : undefined));
    expect(await runRow(matchId)).toMatchObject({ parked_at: null });
    expect(engine.requestCount()).toBe(2);
  });

  it('probes with one parked match while the engine fails, re-parks it at once, and sweeps when the engine recovers', async () => {
    const w = await parkingWorker();
    engine.setFault({ kind: 'rate_limit', retryAfter: 1 });
    skewMs = PARK_AFTER_MS;
    const matchId = await parkedMatch(w);
    await parkedMatch(w);
    const metrics = createWorkerMetrics(new Registry());
    const watch = watchEngine(w.client, captureLogger().logger, metrics);
    watch.noteFault('rate_limited');
    // The re-enqueued job carries the start of its deferral window: past the threshold already.
    skewMs = 2 * PARK_AFTER_MS;
    const s = await sweep(w, { loop: true, scope: () => recoveryScope('closed', watch.answering()) });
    // The start pass only probes: it takes one parked match, which the engine refuses again.
    await eventually(async () =>
      (await metricValue(w.metrics, 'moderation_parked_matches_total', { reason: 'rate_limited' })) === 3
        ? true
        : undefined,
    );
    expect(await metricValue(s.metrics, 'moderation_parked_requeued_total')).toBe(1);
    expect(await jobKeys(w, matchId)).toEqual([]);

    engine.clearFaults();
    watch.onRecovered(() => s.wake());
    watch.noteFault(null);
    await eventually(async () => {
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM risk_analysis_runs WHERE status = 'analyzed'`,
      );
      return rows[0]?.n === 2 ? true : undefined;
    });
    expect(engine.requestCount()).toBe(5);
  });

  it('abandons a parked match once the maximum deferral passed, without enqueuing it', async () => {
    const w = await parkingWorker();
    engine.setFault({ kind: 'rate_limit', retryAfter: 1 });
    skewMs = PARK_AFTER_MS;
    const matchId = await parkedMatch(w);
    engine.clearFaults();
    // The window opened at the first sighting, PARK_AFTER_MS ahead of the system clock.
    skewMs = PARK_AFTER_MS + MAX_DEFER_MS + 1_000;
    const s = await sweep(w);
    expect(await s.sweepOnce()).toMatchObject({ abandoned: 1, requeued: 0, parked: 0 });
    expect(await runRow(matchId)).toMatchObject({ status: 'abandoned', parked_at: null });
    expect(await jobKeys(w, matchId)).toEqual([]);
    expect(
      await metricValue(s.metrics, 'moderation_abandoned_matches_total', { reason: 'rate_limited' }),
    ).toBe(1);
    expect(engine.requestCount()).toBe(1);
  });

  it('re-enqueues a parked match inside its deferral window: failing again past the maximum, it is abandoned', async () => {
    const w = await parkingWorker();
    engine.setFault({ kind: 'rate_limit', retryAfter: 1 });
    skewMs = PARK_AFTER_MS;
    const matchId = await parkedMatch(w);
    // Deferred for 50 minutes already: the sweep brings it back, 10 minutes short of the maximum.
    await db.pool.query(
      `UPDATE risk_analysis_runs SET first_seen_at = first_seen_at - interval '50 minutes',
         deferred_since = deferred_since - interval '50 minutes' WHERE match_id = $1`,
      [matchId],
    );
    await w.worker.pause();
    expect(await (await sweep(w)).sweepOnce()).toMatchObject({ requeued: 1, abandoned: 0 });
    // 15 minutes on, the engine fails it again: its window (not the re-enqueue) says it is over.
    skewMs = 15 * 60_000;
    w.worker.resume();
    const job = await w.settled(rankedMatchJobId(matchId));
    expect(job.failedReason).toMatch(/abandoned after the maximum deferral/);
    expect(await runRow(matchId)).toMatchObject({ status: 'abandoned' });
  });

  it('never parks nor re-enqueues an analysed run', async () => {
    const w = await parkingWorker();
    const matchId = await newMatch();
    await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.prefix });
    await w.settled(rankedMatchJobId(matchId));
    expect(await runRow(matchId)).toMatchObject({ status: 'analyzed' });
    expect(await postgresRunParker(db).parkRun(matchId, new Date(0), clock())).toBe(false);
    // Even with a parked mark left behind (parked, then analysed by another delivery).
    await db.pool.query(
      'UPDATE risk_analysis_runs SET parked_at = now(), deferred_since = now() WHERE match_id = $1',
      [matchId],
    );
    await w.queue.obliterate({ force: true });
    skewMs = MAX_DEFER_MS + 1_000;
    const s = await sweep(w);
    expect(await s.sweepOnce()).toMatchObject({ requeued: 0, abandoned: 0, parked: 0 });
    expect(await runRow(matchId)).toMatchObject({ status: 'analyzed' });
    expect(await jobKeys(w, matchId)).toEqual([]);
  });
});

describe('the parking migration', () => {
  it("adds only the run table's parking columns and index, and its down removes only them", async () => {
    const other = await createMigratedTempDatabase('parking_migration');
    const pool = openTestPool(other.url, 1);
    const columns = async () =>
      (
        await pool.query<{ name: string }>(
          `SELECT table_name || '.' || column_name AS name FROM information_schema.columns
           WHERE table_schema = 'public' ORDER BY 1`,
        )
      ).rows.map((row) => row.name);
    const indexes = async () =>
      (
        await pool.query<{ name: string }>(
          `SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`,
        )
      ).rows.map((row) => row.name);
    try {
      // At parking's migration (4) first: later migrations have tables and tests of their own.
      await migrateDown(other.url, { steps: REQUIRED_SCHEMA_VERSION - 4 });
      expect(await readSchemaVersion(pool)).toEqual({ version: 4, dirty: false });
      const migrated = await columns();
      const migratedIndexes = await indexes();
      expect(migrated).toEqual(
        expect.arrayContaining(['risk_analysis_runs.parked_at', 'risk_analysis_runs.deferred_since']),
      );
      expect(migratedIndexes).toContain('risk_analysis_runs_parked');
      await migrateDown(other.url, { steps: 1 });
      expect(await columns()).toEqual(
        migrated.filter(
          (name) => name !== 'risk_analysis_runs.parked_at' && name !== 'risk_analysis_runs.deferred_since',
        ),
      );
      expect(await indexes()).toEqual(migratedIndexes.filter((name) => name !== 'risk_analysis_runs_parked'));
      expect(await readSchemaVersion(pool)).toEqual({ version: 3, dirty: false });
      await migrateUp(other.url, { steps: 1 });
      expect(await columns()).toEqual(migrated);
    } finally {
      await pool.end();
      await other.drop();
    }
  });
});

describe('the recovery scope', () => {
  it('brings nothing back while the breaker is open, one probe while it is half-open or the engine failed last, else all', () => {
    expect(recoveryScope('open', true)).toBe('none');
    expect(recoveryScope('half_open', true)).toBe('probe');
    expect(recoveryScope('closed', false)).toBe('probe');
    expect(recoveryScope('closed', true)).toBe('all');
    expect(recoveryScope('disabled', false)).toBe('all');
  });
});
