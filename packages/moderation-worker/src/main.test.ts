import {
  applyApiSchema,
  createTempDatabase,
  deletePrefix,
  REDIS_URL,
  type TempDatabase,
  uniquePrefix,
} from '@geoduels/test-support';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueRankedMatchPersisted, rankedMatchJobId } from './analysis/job.js';
import type { WorkerConfig } from './config.js';
import { forceSchemaVersion, MIGRATIONS_TABLE, migrateUp, REQUIRED_SCHEMA_VERSION } from './db/migrate.js';
import { createDatabase, type Database } from './db/pool.js';
import { type RunningWorker, run } from './main.js';
import type { HealthSnapshot } from './runtime/readiness.js';
import { testWorkerConfig } from './test-support/worker-config.js';
import { captureLogger, eventually, seedMatch } from './test-support/worker-harness.js';

let temp: TempDatabase;
let db: Database;
let worker: RunningWorker | undefined;
const prefix = uniquePrefix('main');
const log = captureLogger('info');
const MATCH = '70000000-0000-4000-8000-000000000001';

function config(): WorkerConfig {
  return testWorkerConfig({ postgresUrl: temp.url, queuePrefix: prefix });
}

async function get(path: string): Promise<{ status: number; body: HealthSnapshot; text: string }> {
  const response = await fetch(`http://127.0.0.1:${worker?.port}${path}`);
  const text = await response.text();
  const body = text.startsWith('{') ? (JSON.parse(text) as HealthSnapshot) : ({} as HealthSnapshot);
  return { status: response.status, body, text };
}

beforeAll(async () => {
  temp = await createTempDatabase('main');
  // The API's tables and its schema_migrations at 53, but no worker migration yet.
  await applyApiSchema(temp.url);
  db = createDatabase({ url: temp.url, maxConns: 2, pgbouncer: false });
});
afterAll(async () => {
  await worker?.stop();
  await deletePrefix(REDIS_URL, prefix);
  await db.pool.end();
  await temp.drop();
});

describe('the worker process', () => {
  it('stays not ready on an old schema, says once which version it needs, and consumes once migrated', async () => {
    worker = await run(config(), { logger: log.logger, probeIntervalMs: 50 });
    const before = await eventually(async () => {
      const health = await get('/health/ready');
      return health.body.postgres === 'up' && health.body.redis === 'up' ? health : undefined;
    });
    expect(before.status).toBe(503);
    expect(before.body).toEqual({
      ready: false,
      redis: 'up',
      postgres: 'up',
      schema: { current: null, required: REQUIRED_SCHEMA_VERSION, dirty: false },
      draining: false,
      riskEngine: 'disabled',
      discovery: { enabled: false, lastSweepAt: null, lagSeconds: null },
    });
    expect((await get('/health/live')).status).toBe(200);
    await seedMatch(db, MATCH, [
      { userId: '70000000-0000-4000-8000-00000000000a', events: [[1, 1, 1, 0, '2026-01-01T00:00:00Z']] },
    ]);
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('moderation.risk-analysis', { connection, prefix });
    try {
      expect(await enqueueRankedMatchPersisted(queue, MATCH, { prefix })).toMatchObject({ ok: true });
      // A few more probe rounds on the old schema: the job must wait, and the warning stays single.
      await eventually(async () =>
        log.lines().length > 0 && (await get('/health')).status === 503 ? true : undefined,
      );
      const job = await queue.getJob(rankedMatchJobId(MATCH));
      expect(await job?.getState()).toBe('waiting');

      await migrateUp(temp.url);
      const after = await eventually(async () => {
        const health = await get('/health/ready');
        return health.status === 200 ? health : undefined;
      });
      expect(after.body).toMatchObject({
        ready: true,
        schema: { current: REQUIRED_SCHEMA_VERSION, required: REQUIRED_SCHEMA_VERSION },
      });
      const state = await eventually(async () => {
        const current = await (await queue.getJob(rankedMatchJobId(MATCH)))?.getState();
        return current === 'completed' ? current : undefined;
      });
      expect(state).toBe('completed');
    } finally {
      await queue.close();
      connection.disconnect();
    }
    // One line per schema state seen (the migration in flight may show as dirty).
    const warnings = log
      .lines()
      .filter((line) => line.msg.includes(`this worker needs version ${REQUIRED_SCHEMA_VERSION}`));
    expect(warnings.filter((line) => line.current === null)).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ current: null, required: REQUIRED_SCHEMA_VERSION, dirty: false });

    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('moderation_analysis_jobs_total{outcome="skipped_disabled"} 1');
    expect(metrics.text).toContain('moderation_risk_engine_breaker_state{state="disabled"} 1');
    expect(metrics.text).toContain('moderation_deferred_matches 0');
  });

  it('brings parked matches back into the queue as it starts', async () => {
    await worker?.stop();
    const parked = '70000000-0000-4000-8000-000000000002';
    await seedMatch(db, parked, [
      { userId: '70000000-0000-4000-8000-00000000000b', events: [[1, 1, 1, 0, '2026-01-01T00:00:00Z']] },
    ]);
    // Parked by an earlier process: deferred, no job in Redis.
    await db.pool.query(
      `INSERT INTO risk_analysis_runs (match_id, status, attempts, last_failure, parked_at, deferred_since)
       VALUES ($1, 'deferred', 3, 'network', now(), now())`,
      [parked],
    );
    worker = await run(config(), { logger: log.logger, probeIntervalMs: 50 });
    // The engine is disabled here: once back in the queue the match settles as skipped.
    const row = await eventually(async () => {
      const result = await db.pool.query<{ status: string; parked_at: Date | null }>(
        'SELECT status, parked_at FROM risk_analysis_runs WHERE match_id = $1',
        [parked],
      );
      return result.rows[0]?.status === 'skipped_disabled' ? result.rows[0] : undefined;
    });
    expect(row.parked_at).toBeNull();
  });

  it('reports draining and not ready as soon as it is told to stop', async () => {
    const running = worker!;
    const stopping = running.stop();
    expect(running.readiness.snapshot()).toMatchObject({ ready: false, draining: true });
    await stopping;
    worker = undefined;
  });
});

describe('the worker process on a dirty schema', () => {
  it('stays not ready and consumes nothing while its version table is dirty at the required version', async () => {
    const dirty = await createTempDatabase('main_dirty');
    const dirtyDb = createDatabase({ url: dirty.url, maxConns: 2, pgbouncer: false });
    const dirtyPrefix = uniquePrefix('main_dirty');
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('moderation.risk-analysis', { connection, prefix: dirtyPrefix });
    let running: RunningWorker | undefined;
    try {
      await applyApiSchema(dirty.url);
      await migrateUp(dirty.url);
      // A migration that failed half-way: golang-migrate leaves the version it tried, marked dirty.
      await dirtyDb.pool.query(`UPDATE ${MIGRATIONS_TABLE} SET dirty = true`);
      await seedMatch(dirtyDb, MATCH, [
        { userId: '70000000-0000-4000-8000-00000000000b', events: [[1, 1, 1, 0, '2026-01-01T00:00:00Z']] },
      ]);
      expect(await enqueueRankedMatchPersisted(queue, MATCH, { prefix: dirtyPrefix })).toMatchObject({
        ok: true,
      });
      running = await run(testWorkerConfig({ postgresUrl: dirty.url, queuePrefix: dirtyPrefix }), {
        logger: captureLogger('info').logger,
        probeIntervalMs: 20,
      });
      const port = running.port;
      const ready = async () => {
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
        return { status: response.status, body: (await response.json()) as HealthSnapshot };
      };
      // Several probe rounds that saw PostgreSQL: each answer is "not ready, dirty".
      for (let round = 0; round < 5; round += 1) {
        const seen = await eventually(async () => {
          const health = await ready();
          return health.body.postgres === 'up' ? health : undefined;
        });
        expect(seen.status).toBe(503);
        expect(seen.body.schema).toEqual({
          current: REQUIRED_SCHEMA_VERSION,
          required: REQUIRED_SCHEMA_VERSION,
          dirty: true,
        });
        await running.readiness.probe();
      }
      // Consumption waits on the same verdict: the job is still waiting, and no run row was written.
      expect(await (await queue.getJob(rankedMatchJobId(MATCH)))?.getState()).toBe('waiting');
      const runs = await dirtyDb.pool.query('SELECT count(*)::int AS n FROM risk_analysis_runs');
      expect(runs.rows[0].n).toBe(0);

      // Cleared by the operator (migrate force): ready, and the job is consumed.
      await forceSchemaVersion(dirty.url, REQUIRED_SCHEMA_VERSION);
      await eventually(async () => ((await ready()).status === 200 ? true : undefined));
      await eventually(async () =>
        (await (await queue.getJob(rankedMatchJobId(MATCH)))?.getState()) === 'completed' ? true : undefined,
      );
    } finally {
      await running?.stop();
      await queue.close();
      connection.disconnect();
      await deletePrefix(REDIS_URL, dirtyPrefix);
      await dirtyDb.pool.end();
      await dirty.drop();
    }
  });
});
