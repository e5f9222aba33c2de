import { applyApiSchema, createTempDatabase, REDIS_URL, type TempDatabase } from '@geoduels/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forceSchemaVersion, MIGRATIONS_TABLE, migrateUp, REQUIRED_SCHEMA_VERSION } from '../db/migrate.js';
import { createDatabase, type Database } from '../db/pool.js';
import { captureLogger, createMigratedDatabase, readyConnection } from '../test-support/worker-harness.js';
import { createReadiness, type Readiness, type ReadinessDeps } from './readiness.js';

let temp: TempDatabase;
let db: Database;
let redis: Redis;
const log = captureLogger();

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
});
