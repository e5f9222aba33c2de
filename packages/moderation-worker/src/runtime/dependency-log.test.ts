// Outages of PostgreSQL and Redis as the operator's log shows them: the worker wired by `run`,
// against a PostgreSQL and a Redis of this file's own that it stops and starts.
import {
  applyApiSchema,
  deletePrefix,
  type PrivatePostgres,
  type PrivateRedis,
  startPrivatePostgres,
  startPrivateRedis,
  uniquePrefix,
} from '@geoduels/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateUp } from '../db/migrate.js';
import { type RunningWorker, run } from '../main.js';
import { testWorkerConfig } from '../test-support/worker-config.js';
import { captureLogger, eventually, type LogLine } from '../test-support/worker-harness.js';
import { createDependencyLog } from './dependency-log.js';

const ROLE = 'moderation_worker';
const PASSWORD = 'right-horse-battery-staple';
const WRONG_PASSWORD = 'wrong-password-correct-horse';

let postgres: PrivatePostgres;
let redis: PrivateRedis;
let databaseUrl: string;
const prefix = uniquePrefix('deplog');

/** The database URL as the worker's role, with `password`. */
function asRole(password: string): string {
  const url = new URL(databaseUrl);
  url.username = ROLE;
  url.password = password;
  return url.toString();
}

/** The transition lines of one dependency: warn (40) and info (30) lines carrying `dependency`. */
function transitions(lines: LogLine[], dependency: string): LogLine[] {
  return lines.filter((line) => line.dependency === dependency);
}

beforeAll(async () => {
  postgres = await startPrivatePostgres({ passwordRole: { name: ROLE, password: PASSWORD } });
  databaseUrl = await postgres.createDatabase('deplog');
  await applyApiSchema(databaseUrl);
  await migrateUp(databaseUrl);
  redis = await startPrivateRedis({ persistent: false });
});

afterAll(async () => {
  await deletePrefix(redis.url, prefix).catch(() => undefined);
  await redis?.destroy();
  await postgres?.destroy();
});

describe('dependency outages in the log', () => {
  it('logs a wrong PostgreSQL password once, as a warning naming the problem, never the password', async () => {
    const log = captureLogger('info');
    const worker = await run(
      testWorkerConfig({ postgresUrl: asRole(WRONG_PASSWORD), redisUrl: redis.url, queuePrefix: prefix }),
      { logger: log.logger, probeIntervalMs: 20 },
    );
    try {
      await eventually(async () => (transitions(log.lines(), 'postgres').length > 0 ? true : undefined));
      // More probe rounds against the same refusal: still one line.
      for (let round = 0; round < 5; round += 1) await worker.readiness.probe();
      expect(worker.readiness.snapshot()).toMatchObject({ ready: false, postgres: 'down', redis: 'up' });
    } finally {
      await worker.stop();
    }
    const lines = transitions(log.lines(), 'postgres');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        dependency: 'postgres',
        endpoint: `127.0.0.1:${postgres.port}`,
        msg: `postgres unreachable: password authentication failed for user "${ROLE}" (28P01)`,
        err: expect.objectContaining({ code: '28P01' }),
      }),
    ]);
    expect(log.text()).not.toContain(WRONG_PASSWORD);
  });

  it('logs PostgreSQL going down and coming back once each: a warning, then an info line', async () => {
    const log = captureLogger('info');
    const worker = await runWorker(log);
    try {
      await eventually(async () => (worker.readiness.snapshot().ready ? true : undefined));
      await postgres.stop();
      await eventually(async () => (worker.readiness.snapshot().postgres === 'down' ? true : undefined));
      for (let round = 0; round < 3; round += 1) await worker.readiness.probe();
      await postgres.start();
      await eventually(async () => (worker.readiness.snapshot().ready ? true : undefined));
      for (let round = 0; round < 3; round += 1) await worker.readiness.probe();
    } finally {
      await worker.stop();
    }
    expect(transitions(log.lines(), 'postgres').map((line) => [line.level, line.msg])).toEqual([
      [40, expect.stringMatching(/^postgres unreachable: /)],
      [30, 'postgres reachable again'],
    ]);
    expect(transitions(log.lines(), 'redis')).toEqual([]);
    expect(log.text()).not.toContain(PASSWORD);
  });

  it('logs Redis going down and coming back once each, whatever number of connections the worker holds', async () => {
    const log = captureLogger('info');
    const worker = await runWorker(log);
    try {
      await eventually(async () => (worker.readiness.snapshot().ready ? true : undefined));
      await redis.stop();
      await eventually(async () => (worker.readiness.snapshot().redis === 'down' ? true : undefined));
      for (let round = 0; round < 3; round += 1) await worker.readiness.probe();
      await redis.start();
      await eventually(async () => (worker.readiness.snapshot().ready ? true : undefined));
      for (let round = 0; round < 3; round += 1) await worker.readiness.probe();
    } finally {
      await worker.stop();
    }
    const lines = transitions(log.lines(), 'redis');
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [
        40,
        expect.stringMatching(
          /^redis unreachable: .*(ECONNREFUSED|ECONNRESET|connection closed by the server)/,
        ),
      ],
      [30, 'redis reachable again'],
    ]);
    expect(lines[0]).toMatchObject({ endpoint: `127.0.0.1:${redis.port}` });
    expect(transitions(log.lines(), 'postgres')).toEqual([]);
  });
});

describe('the transition log', () => {
  it('ignores one missed probe, logs an outage once after two, and its end once, with secrets removed', () => {
    const log = captureLogger('info');
    const deps = createDependencyLog({
      logger: log.logger,
      secrets: ['s3cret-pass'],
      endpoints: { redis: 'cache:6379' },
    });
    const refused = Object.assign(new Error('connect to redis://:s3cret-pass@cache:6379 failed'), {
      code: 'ECONNREFUSED',
    });

    deps.down('redis', refused);
    deps.up('redis');
    expect(log.lines()).toEqual([]);

    for (let probe = 0; probe < 5; probe += 1) deps.down('redis', refused);
    deps.up('redis');
    deps.up('redis');
    expect(log.lines().map((line) => [line.level, line.msg, line.endpoint])).toEqual([
      [
        40,
        'redis unreachable: connect to redis://:[redacted]@cache:6379 failed (ECONNREFUSED)',
        'cache:6379',
      ],
      [30, 'redis reachable again', 'cache:6379'],
    ]);
    expect(log.text()).not.toContain('s3cret-pass');
  });
});

function runWorker(log: ReturnType<typeof captureLogger>): Promise<RunningWorker> {
  return run(testWorkerConfig({ postgresUrl: asRole(PASSWORD), redisUrl: redis.url, queuePrefix: prefix }), {
    logger: log.logger,
    probeIntervalMs: 20,
  });
}
