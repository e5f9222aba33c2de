import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeRiskEngine, startFakeRiskEngine } from '@geoduels/fake-risk-engine';
import {
  applyApiSchema,
  createTempDatabase,
  REDIS_URL,
  startPrivateRedis,
  type TempDatabase,
  uniquePrefix,
} from '@geoduels/test-support';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openRankedMatchQueue } from '../analysis/job.js';
import { forceSchemaVersion, MIGRATIONS_TABLE, migrateUp, REQUIRED_SCHEMA_VERSION } from '../db/migrate.js';
import { closedPort } from '../test-support/closed-port.js';
import { captureOutput } from '../test-support/output.js';
import { urlWithPassword } from '../test-support/password-url.js';
import { checkCommand } from './check-command.js';

const TOKEN = 'engine-token-must-stay-hidden';
const PG_PASSWORD = 'pg-password-must-stay-hidden';
const WEBHOOK = 'https://discord.example/api/webhooks/1/webhook-secret-must-stay-hidden';
const QUEUE_NAME = 'moderation.risk-analysis';

/** A stand-in for the worker's HTTP server: each path answers with the status set for it. */
interface HealthStandIn {
  url: string;
  statuses: Record<string, number>;
  close(): Promise<void>;
}

async function startHealthStandIn(): Promise<HealthStandIn> {
  const statuses: Record<string, number> = { '/health': 200, '/health/live': 200, '/health/ready': 200 };
  const server: Server = createServer((req, res) => {
    const status = statuses[req.url ?? ''] ?? 404;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status === 200 ? { status: 'ok' } : { status: 'not_ready', draining: true }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    statuses,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The table row of a check, e.g. `schema version  FAIL  version 2, ...`. */
function row(stdout: string, name: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no row "${name}" in:\n${stdout}`);
  return line;
}

let db: TempDatabase;
let engine: FakeRiskEngine;
let worker: HealthStandIn;
let prefix: string;
let redis: Redis;

beforeAll(async () => {
  db = await createTempDatabase('ops_check');
  await applyApiSchema(db.url);
  await migrateUp(db.url);
  engine = await startFakeRiskEngine({ token: TOKEN });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  await engine.stop();
  redis.disconnect();
  await db.drop();
});

beforeEach(async () => {
  worker = await startHealthStandIn();
  prefix = uniquePrefix('ops-check');
});

afterEach(async () => {
  await worker.close();
  const queue = openRankedMatchQueue(redis, { name: QUEUE_NAME, prefix });
  await queue.obliterate({ force: true });
  await queue.close();
});

function env(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    POSTGRES_URL: urlWithPassword(db.url, PG_PASSWORD),
    REDIS_URL,
    MODERATION_QUEUE_NAME: QUEUE_NAME,
    MODERATION_QUEUE_PREFIX: prefix,
    RISK_ENGINE_URL: engine.url,
    RISK_ENGINE_TOKEN: TOKEN,
    MODERATION_WEBHOOK_URL: WEBHOOK,
    ...overrides,
  };
}

function expectNoSecrets(text: string): void {
  for (const secret of [TOKEN, PG_PASSWORD, WEBHOOK, 'webhook-secret-must-stay-hidden']) {
    expect(text).not.toContain(secret);
  }
}

describe('moderation-worker check', () => {
  it('passes every check against a ready worker, engine, current schema and running queue', async () => {
    const queue = openRankedMatchQueue(redis, { name: QUEUE_NAME, prefix });
    await queue.add('ranked-match.persisted', { matchId: '6d1f4a52-0c6f-4c77-9d5e-0b7a3f0c2a11' });
    await queue.close();
    const { out, output } = captureOutput();

    const code = await checkCommand.run(['--worker-url', worker.url], env(), output);

    expect(code, out.stdout).toBe(0);
    for (const name of ['config', 'worker /health', 'worker /health/live', 'worker /health/ready', 'redis']) {
      expect(row(out.stdout, name)).toMatch(/\bOK\b/);
    }
    expect(row(out.stdout, 'redis mode')).toMatch(/OK +single \(REDIS_URL\)$/);
    expect(row(out.stdout, 'redis maxmemory-policy')).toMatch(/OK +noeviction$/);
    expect(row(out.stdout, 'risk engine /health/ready')).toMatch(/OK .*HTTP 200/);
    expect(row(out.stdout, 'schema version')).toMatch(
      new RegExp(`OK +${MIGRATIONS_TABLE} version ${REQUIRED_SCHEMA_VERSION}, clean`),
    );
    expect(row(out.stdout, 'queue')).toContain(
      `OK      ${prefix}:${QUEUE_NAME} running; waiting 1, active 0`,
    );
    expect(row(out.stdout, 'notifications')).toMatch(/OK +no dead-lettered review notifications$/);
    expect(out.stdout).toMatch(/all 11 checks passed/);
    expectNoSecrets(out.stdout + out.stderr);
  });

  it('fails, without printing secrets, when the engine is down', async () => {
    await engine.down();
    const { out, output } = captureOutput();
    try {
      const code = await checkCommand.run(['--worker-url', worker.url], env(), output);
      expect(code).toBe(1);
    } finally {
      await engine.up();
    }
    expect(row(out.stdout, 'risk engine /health/ready')).toMatch(/FAIL .*network/);
    expect(out.stdout).toMatch(/1 of 11 checks failed/);
    expectNoSecrets(out.stdout + out.stderr);
  });

  it('skips the engine, and still passes, when RISK_ENGINE_URL is unset', async () => {
    const { out, output } = captureOutput();
    const code = await checkCommand.run(
      ['--worker-url', worker.url],
      env({ RISK_ENGINE_URL: undefined, RISK_ENGINE_TOKEN: undefined }),
      output,
    );
    expect(code, out.stdout).toBe(0);
    expect(row(out.stdout, 'risk engine /health/ready')).toMatch(/SKIP +disabled/);
  });

  it('fails when the worker is not ready, showing the status and body it answered', async () => {
    worker.statuses['/health/ready'] = 503;
    worker.statuses['/health'] = 503;
    const { out, output } = captureOutput();
    const code = await checkCommand.run(['--worker-url', worker.url], env(), output);
    expect(code).toBe(1);
    expect(row(out.stdout, 'worker /health/ready')).toMatch(/FAIL +HTTP 503 .*"draining":true/);
    expect(row(out.stdout, 'worker /health/live')).toMatch(/OK/);
  });

  it('finds the worker at its MODERATION_WORKER_ADDR on loopback when no URL is given', async () => {
    const { out, output } = captureOutput();
    const port = new URL(worker.url).port;
    const code = await checkCommand.run([], env({ MODERATION_WORKER_ADDR: `:${port}` }), output);
    expect(code, out.stdout).toBe(0);
  });

  it('fails with the cause when nothing listens at the worker URL', async () => {
    const { out, output } = captureOutput();
    const code = await checkCommand.run(
      ['--worker-url', `http://127.0.0.1:${await closedPort()}`],
      env(),
      output,
    );
    expect(code).toBe(1);
    expect(row(out.stdout, 'worker /health/live')).toMatch(/FAIL .*ECONNREFUSED/);
  });

  it("fails while the worker's own schema version is older than this release needs, and while it is dirty, whatever the API's schema_migrations says", async () => {
    const old = await createTempDatabase('ops_check_old');
    try {
      // The API's schema_migrations says 53, far above what the worker needs: it must not count.
      await applyApiSchema(old.url);
      await forceSchemaVersion(old.url, REQUIRED_SCHEMA_VERSION - 1);
      const first = captureOutput();
      expect(
        await checkCommand.run(['--worker-url', worker.url], env({ POSTGRES_URL: old.url }), first.output),
      ).toBe(1);
      expect(row(first.out.stdout, 'schema version')).toMatch(
        new RegExp(
          `FAIL +${MIGRATIONS_TABLE} version ${REQUIRED_SCHEMA_VERSION - 1}, this release needs ${REQUIRED_SCHEMA_VERSION}: run migrate up`,
        ),
      );

      const client = new pg.Client({ connectionString: old.url });
      await client.connect();
      await client.query(`UPDATE ${MIGRATIONS_TABLE} SET version = $1, dirty = true`, [
        REQUIRED_SCHEMA_VERSION,
      ]);
      await client.end();
      const second = captureOutput();
      expect(
        await checkCommand.run(['--worker-url', worker.url], env({ POSTGRES_URL: old.url }), second.output),
      ).toBe(1);
      expect(row(second.out.stdout, 'schema version')).toMatch(
        new RegExp(`FAIL +${MIGRATIONS_TABLE} version ${REQUIRED_SCHEMA_VERSION} is dirty`),
      );
    } finally {
      await old.drop();
    }
  });

  it('fails when no migration was ever applied', async () => {
    const empty = await createTempDatabase('ops_check_empty');
    try {
      const { out, output } = captureOutput();
      expect(
        await checkCommand.run(['--worker-url', worker.url], env({ POSTGRES_URL: empty.url }), output),
      ).toBe(1);
      expect(row(out.stdout, 'schema version')).toMatch(
        new RegExp(`FAIL +no migrations applied \\(${MIGRATIONS_TABLE} is missing or empty`),
      );
    } finally {
      await empty.drop();
    }
  });

  it('fails promptly with the cause when Redis and PostgreSQL are unreachable', async () => {
    const port = await closedPort();
    const { out, output } = captureOutput();
    const code = await checkCommand.run(
      ['--worker-url', worker.url],
      env({
        REDIS_URL: `redis://127.0.0.1:${port}`,
        POSTGRES_URL: `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${port}/nowhere`,
      }),
      output,
    );
    expect(code).toBe(1);
    expect(row(out.stdout, 'redis')).toMatch(/FAIL +127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(row(out.stdout, 'redis mode')).toMatch(/FAIL +not checked: Redis unreachable/);
    expect(row(out.stdout, 'redis maxmemory-policy')).toMatch(/FAIL +not checked: Redis unreachable/);
    expect(row(out.stdout, 'queue')).toMatch(/FAIL +not checked: Redis unreachable/);
    expect(row(out.stdout, 'schema version')).toMatch(/FAIL +127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(row(out.stdout, 'notifications')).toMatch(/FAIL +127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expectNoSecrets(out.stdout);
  });

  it('reports a paused queue as a failure that names the resume command', async () => {
    const queue = openRankedMatchQueue(redis, { name: QUEUE_NAME, prefix });
    await queue.pause();
    await queue.close();
    const { out, output } = captureOutput();
    expect(await checkCommand.run(['--worker-url', worker.url], env(), output)).toBe(1);
    expect(row(out.stdout, 'queue')).toContain(
      `FAIL    ${prefix}:${QUEUE_NAME} PAUSED (run \`moderation-worker queue resume\`)`,
    );
  });

  it('fails while a review notification is dead-lettered, naming how many and the newest error', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const dead = await pool.query<{ id: string }>(
        `INSERT INTO notification_outbox (type, dedupe_key, payload_json, attempts, next_attempt_at, last_error)
         VALUES ('moderation_signal_queued', 'moderation_signal:999999:queued', '{}', 20, 'infinity',
                 'dead-lettered after 20 attempts; last: http_4xx: HTTP 404 unknown webhook')
         RETURNING id`,
      );
      // Another service's row that looks the same is not this worker's dead letter.
      await pool.query(
        `INSERT INTO notification_outbox (type, dedupe_key, payload_json, attempts, next_attempt_at)
         VALUES ('moderation_incident_queued', 'incident:1', '{}', 99, 'infinity')`,
      );
      const { out, output } = captureOutput();
      expect(await checkCommand.run(['--worker-url', worker.url], env(), output)).toBe(1);
      expect(row(out.stdout, 'notifications')).toContain(
        `FAIL    1 review notification(s) dead-lettered, no longer retried; newest ${dead.rows[0]!.id}: dead-lettered after 20 attempts; last: http_4xx: HTTP 404 unknown webhook`,
      );
    } finally {
      await pool.query('DELETE FROM notification_outbox');
      await pool.end();
    }
  });

  it('names the bad variable when the configuration is invalid', async () => {
    const { out, output } = captureOutput();
    expect(
      await checkCommand.run(['--worker-url', worker.url], env({ POSTGRES_MAX_CONNS: 'lots' }), output),
    ).toBe(1);
    expect(row(out.stdout, 'config')).toMatch(/FAIL +POSTGRES_MAX_CONNS: must be a whole number/);
    expect(row(out.stdout, 'schema version')).toMatch(/SKIP +not checked: configuration invalid/);
  });

  it('prints the same checks as one JSON document with --json, exit code unchanged', async () => {
    const table = captureOutput();
    await checkCommand.run(['--worker-url', worker.url], env(), table.output);
    worker.statuses['/health/ready'] = 503;
    const { out, output } = captureOutput();
    expect(await checkCommand.run(['--worker-url', worker.url, '--json'], env(), output)).toBe(1);
    expect(out.stdout.trimEnd().split('\n')).toHaveLength(1);
    const report = JSON.parse(out.stdout) as {
      ok: boolean;
      summary: string;
      counts: Record<string, number>;
      checks: { name: string; status: string; detail: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.summary).toBe('1 of 11 checks failed');
    expect(report.counts).toEqual({ ok: 10, fail: 1, skip: 0 });
    // The same rows, in the same order, as the table prints.
    expect(report.checks.map((c) => c.name)).toEqual(
      table.out.stdout
        .split('\n')
        .slice(1, 12)
        .map((line) => line.split(/ {2,}/)[0]),
    );
    expect(report.checks.find((c) => c.name === 'worker /health/ready')).toEqual({
      name: 'worker /health/ready',
      status: 'fail',
      detail: expect.stringMatching(/^HTTP 503 /),
    });
    expect(report.checks.find((c) => c.name === 'redis maxmemory-policy')).toEqual({
      name: 'redis maxmemory-policy',
      status: 'ok',
      detail: 'noeviction',
    });
    expectNoSecrets(out.stdout + out.stderr);
  });

  it('fails the maxmemory-policy row on an evicting Redis, with the risk and the fix', async () => {
    const evicting = await startPrivateRedis({ persistent: false });
    const admin = new Redis(evicting.url);
    try {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      for (const args of [
        ['--worker-url', worker.url],
        ['--worker-url', worker.url, '--json'],
      ]) {
        const { out, output } = captureOutput();
        expect(await checkCommand.run(args, env({ REDIS_URL: evicting.url }), output)).toBe(1);
        const detail =
          'allkeys-lru: Redis may evict queue keys under memory pressure and lose jobs; it must be noeviction ' +
          '(set "maxmemory-policy noeviction" in redis.conf or the service\'s parameter group, ' +
          'or run CONFIG SET maxmemory-policy noeviction)';
        if (args.includes('--json')) {
          const report = JSON.parse(out.stdout) as {
            checks: { name: string; status: string; detail: string }[];
          };
          expect(report.checks.find((c) => c.name === 'redis maxmemory-policy')).toEqual({
            name: 'redis maxmemory-policy',
            status: 'fail',
            detail,
          });
        } else {
          expect(row(out.stdout, 'redis maxmemory-policy')).toBe(
            `redis maxmemory-policy     FAIL    ${detail}`,
          );
          expect(row(out.stdout, 'redis')).toMatch(/OK +127\.0\.0\.1:\d+: PONG/);
          expect(out.stdout).toMatch(/1 of 11 checks failed/);
        }
        // BullMQ's own console warning about it arrives in the bin's one error form, on stderr.
        expect(out.stderr).toBe(
          'moderation-worker check: warning: BullMQ: IMPORTANT! Eviction policy is allkeys-lru. It should be "noeviction"\n',
        );
      }
    } finally {
      admin.disconnect();
      await evicting.destroy();
    }
  });

  it('prints usage for --help and rejects unknown options with exit 2', async () => {
    const help = captureOutput();
    expect(await checkCommand.run(['--help'], {}, help.output)).toBe(0);
    expect(help.out.stdout).toMatch(/^Usage: moderation-worker check/);

    const bad = captureOutput();
    expect(await checkCommand.run(['--wroker-url', 'x'], {}, bad.output)).toBe(2);
    expect(bad.out.stderr).toMatch(/check: Unknown option '--wroker-url'/);

    const badUrl = captureOutput();
    expect(await checkCommand.run(['--worker-url', 'ftp://host'], {}, badUrl.output)).toBe(2);
    expect(badUrl.out.stderr).toMatch(/--worker-url: must be http:\/\/ or https:\/\//);
  });
});
