import { REDIS_URL, type TempDatabase } from '@geoduels/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../db/pool.js';
import { captureLogger, createMigratedDatabase, eventually } from '../test-support/worker-harness.js';
import { createReadiness } from './readiness.js';

let temp: TempDatabase;
let db: Database;
let redis: Redis;
const log = captureLogger();

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('ready'));
  redis = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await eventually(async () => (redis.status === 'ready' ? true : undefined));
});
afterAll(async () => {
  redis.disconnect();
  await db.pool.end();
  await temp.drop();
});

describe('readiness', () => {
  it('is ready with Redis and PostgreSQL up and the schema current, and reports the engine without gating on it', async () => {
    const readiness = createReadiness({
      redis,
      db,
      requiredVersion: 3,
      riskEngineState: () => 'open',
      logger: log.logger,
    });
    expect(await readiness.probe()).toEqual({
      ready: true,
      redis: 'up',
      postgres: 'up',
      schema: { current: 3, required: 3, dirty: false },
      draining: false,
      riskEngine: 'open',
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
      const readiness = createReadiness({
        redis: deadRedis,
        db: deadDb,
        requiredVersion: 3,
        riskEngineState: () => 'closed',
        logger: log.logger,
        timeoutMs: 500,
      });
      expect(await readiness.probe()).toMatchObject({ ready: false, redis: 'down', postgres: 'down' });
    } finally {
      deadRedis.disconnect();
      await deadDb.pool.end();
    }
  });
});
