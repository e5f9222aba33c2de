import {
  applyApiSchema,
  createTempDatabase,
  REDIS_URL,
  startPrivateRedis,
  type TempDatabase,
} from '@geoduels/test-support';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forceSchemaVersion, MIGRATIONS_TABLE, migrateUp, REQUIRED_SCHEMA_VERSION } from '../db/migrate.js';
import { createDatabase, type Database } from '../db/pool.js';
import {
  captureLogger,
  createMigratedDatabase,
  eventually,
  readyConnection,
} from '../test-support/worker-harness.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { createReadiness, type Readiness, type ReadinessDeps } from './readiness.js';

let temp: TempDatabase;
let db: Database;
let redis: Redis;
const log = captureLogger();

/** The readiness gauges as last exported: ready, each dependency, and whether Redis evicts. */
async function exported(metrics: WorkerMetrics) {
  const dependencies = (await metrics.dependencyUp.get()).values;
  return {
    ready: (await metrics.ready.get()).values[0]?.value,
    up: Object.fromEntries(dependencies.map((v) => [v.labels.dependency, v.value])),
    policyOk: (await metrics.redisMaxmemoryPolicyOk.get()).values[0]?.value,
  };
}

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('ready'));
  redis = await readyConnection(new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }));
});
afterAll(async () => {
  redis.disconnect();
  await db.pool.end();
  await temp.drop();
});

/** Readiness on `redis` and `database` at the required schema version, the engine's state fixed. */
function readinessOf(
  redisConnection: Redis,
  database: Database,
  riskEngineState: string,
  options: Pick<ReadinessDeps, 'timeoutMs'> = {},
): Readiness {
  return createReadiness({
    redis: redisConnection,
    db: database,
    requiredVersion: REQUIRED_SCHEMA_VERSION,
    riskEngineState: () => riskEngineState,
    logger: log.logger,
    ...options,
  });
}

describe('readiness', () => {
  it('is ready with Redis and PostgreSQL up and the schema current, and reports the engine without gating on it', async () => {
    const readiness = readinessOf(redis, db, 'open');
    expect(await readiness.probe()).toEqual({
      ready: true,
      redis: 'up',
      postgres: 'up',
      schema: { current: REQUIRED_SCHEMA_VERSION, required: REQUIRED_SCHEMA_VERSION, dirty: false },
      draining: false,
      riskEngine: 'open',
      discovery: { enabled: false, lastSweepAt: null, lagSeconds: null },
    });
    readiness.setDraining();
    expect(readiness.snapshot()).toMatchObject({ ready: false, draining: true });
  });

  it('is not ready, without hanging, while Redis or PostgreSQL cannot be reached', async () => {
    const deadRedis = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 1_000,
    });
    deadRedis.on('error', () => undefined);
    const deadDb = createDatabase({
      url: 'postgres://postgres@127.0.0.1:1/none',
      maxConns: 1,
      pgbouncer: false,
    });
    try {
      const readiness = readinessOf(deadRedis, deadDb, 'closed', { timeoutMs: 500 });
      expect(await readiness.probe()).toMatchObject({ ready: false, redis: 'down', postgres: 'down' });
    } finally {
      deadRedis.disconnect();
      await deadDb.pool.end();
    }
  });

  it("gates on the worker's own schema version, never on the API's schema_migrations", async () => {
    const api = await createTempDatabase('ready_api');
    const apiDb = createDatabase({ url: api.url, maxConns: 1, pgbouncer: false });
    try {
      // Only the API's tables: its schema_migrations says 53, and no worker migration ran.
      await applyApiSchema(api.url);
      const readiness = readinessOf(redis, apiDb, 'disabled');
      expect(await readiness.probe()).toMatchObject({
        ready: false,
        postgres: 'up',
        schema: { current: null, required: REQUIRED_SCHEMA_VERSION, dirty: false },
      });

      await migrateUp(api.url);
      expect(await readiness.probe()).toMatchObject({
        ready: true,
        schema: { current: REQUIRED_SCHEMA_VERSION, dirty: false },
      });

      await apiDb.pool.query(`UPDATE ${MIGRATIONS_TABLE} SET dirty = true`);
      expect(await readiness.probe()).toMatchObject({
        ready: false,
        schema: { current: REQUIRED_SCHEMA_VERSION, dirty: true },
      });
      await forceSchemaVersion(api.url, REQUIRED_SCHEMA_VERSION);
      expect(await readiness.probe()).toMatchObject({ ready: true });
    } finally {
      await apiDb.pool.end();
      await api.drop();
    }
  });

  it('exports readiness, each dependency and whether Redis keeps queue keys as metrics', async () => {
    const metrics = createWorkerMetrics(new Registry());
    const deps = {
      db,
      requiredVersion: REQUIRED_SCHEMA_VERSION,
      riskEngineState: () => 'closed',
      logger: log.logger,
      metrics,
    };
    expect(await exported(metrics)).toEqual({
      ready: 0,
      up: { redis: 0, postgres: 0, schema: 0 },
      policyOk: Number.NaN,
    });
    const readiness = createReadiness({ ...deps, redis });
    await readiness.probe();
    // The shared test Redis runs with noeviction, as production's must.
    expect(await exported(metrics)).toEqual({
      ready: 1,
      up: { redis: 1, postgres: 1, schema: 1 },
      policyOk: 1,
    });
    readiness.setDraining();
    expect((await exported(metrics)).ready).toBe(0);

    const evicting = await startPrivateRedis({ persistent: false });
    const evictingRedis = new Redis(evicting.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const policyLog = captureLogger();
    evictingRedis.on('error', () => undefined);
    try {
      await eventually(async () => (evictingRedis.status === 'ready' ? true : undefined));
      await evictingRedis.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const lru = createReadiness({ ...deps, redis: evictingRedis, logger: policyLog.logger });
      await lru.probe();
      await lru.probe();
      expect(await exported(metrics)).toMatchObject({ ready: 1, policyOk: 0 });
      const warnings = policyLog.lines().filter((line) => line.maxmemoryPolicy !== undefined);
      expect(warnings).toEqual([expect.objectContaining({ level: 40, maxmemoryPolicy: 'allkeys-lru' })]);
      expect(warnings[0]?.msg).toContain('set it to noeviction');

      await evicting.stop();
      await lru.probe();
      // Redis gone: not ready, Redis named as the failing dependency, the policy as last read.
      expect(await exported(metrics)).toEqual({
        ready: 0,
        up: { redis: 0, postgres: 1, schema: 1 },
        policyOk: 0,
      });
    } finally {
      evictingRedis.disconnect();
      await evicting.destroy();
    }
  });
});
