// The real bin as a child process: SIGTERM drain, configuration errors, and secrets kept out of logs.
import { type FakeRiskEngine, startFakeRiskEngine } from '@geoduels/fake-risk-engine';
import {
  deletePrefix,
  type ManagedProcess,
  REDIS_URL,
  spawnManaged,
  stopAllProcesses,
  type TempDatabase,
  uniquePrefix,
  WORKER_CLI,
} from '@geoduels/test-support';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueRankedMatchPersisted } from './analysis/job.js';
import type { Database } from './db/pool.js';
import { urlWithPassword } from './test-support/password-url.js';
import {
  createMigratedDatabase,
  eventually,
  type LogLine,
  seedMatch,
  within,
} from './test-support/worker-harness.js';

const TOKEN = 'process-secret-token-4711';
const PG_PASSWORD = 'hunter2-never-logged';
const MATCH = '80000000-0000-4000-8000-000000000001';

let temp: TempDatabase;
let db: Database;
let engine: FakeRiskEngine;
const prefix = uniquePrefix('proc');

interface Spawned {
  child: ManagedProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function spawnCli(args: string[], env: Record<string, string>): Spawned {
  const child = spawnManaged({
    name: `moderation-worker ${args.join(' ')}`,
    command: process.execPath,
    args: [WORKER_CLI, ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return {
    child,
    stdout: () => child.logs.textOf('stdout'),
    stderr: () => child.logs.textOf('stderr'),
    exit: child.exited.then((exit) => exit.code),
  };
}

/**
 * /health/ready as the draining worker answers it, within `ms`. A worker that exits instead of
 * draining (its active job cut short) fails this at once, saying so, rather than at the test timeout.
 */
async function readinessWhileDraining(worker: Spawned, port: number, ms: number) {
  let exitCode: number | null | undefined;
  void worker.exit.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
    if (response) return { status: response.status, body: await response.json() };
    if (exitCode !== undefined)
      throw new Error(`the worker exited (code ${exitCode}) on SIGTERM without answering as draining`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`/health/ready did not answer within ${ms} ms of SIGTERM`);
}

function logLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('proc'));
  engine = await startFakeRiskEngine({ token: TOKEN });
  await seedMatch(db, MATCH, [
    {
      userId: '80000000-0000-4000-8000-00000000000a',
      events: [[1, 4000, 2000, 0.5, '2026-02-28T10:00:00Z']],
    },
  ]);
});
afterAll(async () => {
  await stopAllProcesses();
  await deletePrefix(REDIS_URL, prefix);
  await engine.stop();
  await db.pool.end();
  await temp.drop();
});

describe('the moderation-worker process', () => {
  it('drains on SIGTERM: not ready at once, finishes the active job, exits 0, never logs a secret', async () => {
    const worker = spawnCli(['run'], {
      POSTGRES_URL: urlWithPassword(temp.url, PG_PASSWORD),
      REDIS_URL,
      MODERATION_QUEUE_PREFIX: prefix,
      MODERATION_WORKER_ADDR: '127.0.0.1:0',
      RISK_ENGINE_URL: engine.url,
      RISK_ENGINE_TOKEN: TOKEN,
      RISK_ENGINE_TIMEOUT: '10s',
      MODERATION_DRAIN_TIMEOUT: '20s',
      LOG_LEVEL: 'debug',
    });
    const started = await eventually(async () =>
      logLines(worker.stdout()).find((line) => line.msg === 'moderation worker started'),
    );
    await eventually(async () => logLines(worker.stdout()).find((line) => line.msg === 'consuming jobs'));
    engine.setFault({ kind: 'latency', ms: 1_500, times: 1 });
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('moderation.risk-analysis', { connection, prefix });
    try {
      expect(await enqueueRankedMatchPersisted(queue, MATCH, { prefix })).toMatchObject({ ok: true });
    } finally {
      await queue.close();
      connection.disconnect();
    }
    // The engine holds the request: the job is active when the signal arrives.
    await eventually(async () => (engine.requestCount() > 0 ? true : undefined));
    worker.child.signal('SIGTERM');
    const ready = await readinessWhileDraining(worker, started.port as number, 10_000);
    expect(ready).toMatchObject({ status: 503, body: { draining: true, ready: false } });
    // The one active job takes 1.5 s at the engine; the drain may take 20 s, the test allows 10.
    expect(await within(worker.exit, 10_000, 'the worker exiting once its active job finished')).toBe(0);

    const run = await db.pool.query('SELECT status FROM risk_analysis_runs WHERE match_id = $1', [MATCH]);
    expect(run.rows, 'the job active at SIGTERM must finish during the drain').toEqual([
      { status: 'analyzed' },
    ]);
    const output = worker.stdout() + worker.stderr();
    expect(output).toContain('"msg":"stopped"');
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(PG_PASSWORD);
  });

  it('refuses to start with a bad variable, naming it', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /POSTGRES_URL: is required/],
      [{ POSTGRES_URL: temp.url, POSTGRES_MAX_CONNS: 'many' }, /POSTGRES_MAX_CONNS: must be a whole number/],
      [{ POSTGRES_URL: temp.url, RISK_ENGINE_TIMEOUT: '5 parsecs' }, /RISK_ENGINE_TIMEOUT/],
      [
        { POSTGRES_URL: temp.url, MODERATION_DRAIN_TIMEOUT: '45s' },
        /MODERATION_DRAIN_TIMEOUT: must be between/,
      ],
    ];
    for (const [env, message] of cases) {
      const child = spawnCli(['run'], env);
      expect(await child.exit).toBe(2);
      expect(child.stderr()).toMatch(message);
    }
  });
});
