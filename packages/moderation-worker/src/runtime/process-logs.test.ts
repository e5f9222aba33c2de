// The worker process's log stream as an operator's log pipeline receives it: `moderation-worker run`
// (dist/cli.js) against an evicting Redis of its own, every line JSON with pid and hostname.
import { hostname } from 'node:os';
import {
  createWorkerDatabase,
  type LogLine,
  messageIncludes,
  type PrivateRedis,
  startPrivateRedis,
  startWorker,
  stopAllProcesses,
  type TempDatabase,
  uniquePrefix,
  type WorkerProcess,
} from '@geoduels/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateUp } from '../db/migrate.js';

let db: TempDatabase;
let redis: PrivateRedis;
let worker: WorkerProcess;

beforeAll(async () => {
  db = await createWorkerDatabase('obs_logs', { migrate: migrateUp });
  redis = await startPrivateRedis({ persistent: false });
  const admin = new Redis(redis.url);
  await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
  admin.disconnect();
  worker = await startWorker(
    {
      POSTGRES_URL: db.url,
      REDIS_URL: redis.url,
      MODERATION_QUEUE_PREFIX: uniquePrefix('obs-logs'),
      MODERATION_DISCOVERY_ENABLED: 'false',
      MODERATION_DRAIN_TIMEOUT: '2s',
    },
    'obs-logs-worker',
  );
});

afterAll(async () => {
  await stopAllProcesses();
  await redis?.destroy();
  await db?.drop();
});

describe('the worker process log', () => {
  it('routes BullMQ’s eviction-policy warning into the log as a JSON line, once', async () => {
    await worker.waitReady();
    const warning = await worker.logs.waitFor(
      (line) => line.source === 'bullmq',
      'BullMQ warning as a log line',
    );
    expect(warning).toMatchObject({
      level: 40,
      source: 'bullmq',
      msg: 'IMPORTANT! Eviction policy is allkeys-lru. It should be "noeviction"',
    });
    await worker.logs.waitFor(messageIncludes('consuming jobs'), 'consuming');
    expect(worker.logs.filter((line) => line.source === 'bullmq')).toHaveLength(1);
    expect(worker.logs.textOf('stderr')).toBe('');
  });

  it('logs a lost Redis once with the error’s message and stack, its return once, and every line carries pid and hostname', async () => {
    await redis.stop();
    const lost = await worker.logs.waitFor(messageIncludes('redis unreachable'), 'redis unreachable', 15_000);
    expect(lost).toMatchObject({ level: 40, dependency: 'redis', endpoint: `127.0.0.1:${redis.port}` });
    // The first cause seen: the server closing the socket, or a refused reconnect.
    expect(lost.err).toMatchObject({
      message: expect.stringMatching(/ECONNREFUSED|ECONNRESET|connection closed by the server/),
      stack: expect.stringMatching(/\n +at /),
    });
    await redis.start();
    await worker.logs.waitFor(messageIncludes('redis reachable again'), 'redis reachable again', 15_000);

    const exit = await worker.stop(10_000);
    expect(exit.code).toBe(0);
    expect(worker.logs.filter((line) => line.dependency === 'redis').map((line) => line.level)).toEqual([
      40, 30,
    ]);
    const raw = worker.logs.textOf('stdout').split('\n').filter(Boolean);
    expect(worker.logs.lines).toHaveLength(raw.length);
    for (const line of worker.logs.lines as LogLine[]) {
      expect(line).toMatchObject({ pid: worker.pid, hostname: hostname(), service: 'moderation-worker' });
    }
    expect(worker.logs.textOf('stderr')).toBe('');
  });
});
