// The operator commands against the real worker process (dist/cli.js), as an operator runs them
// after a deploy: `run` in one process, `check` and `queue` as separate invocations of the bin.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type FakeRiskEngine, startFakeRiskEngine } from '@geoduels/fake-risk-engine';
import { createWorkerDatabase, REDIS_URL, type TempDatabase, uniquePrefix } from '@geoduels/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRankedMatchQueue } from '../analysis/job.js';
import { migrateUp } from '../db/migrate.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const TOKEN = 'live-engine-token-never-printed';

let db: TempDatabase;
let engine: FakeRiskEngine;
let prefix: string;
let worker: ChildProcess | undefined;
let workerUrl: string;

function baseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    POSTGRES_URL: db.url,
    REDIS_URL,
    MODERATION_QUEUE_PREFIX: prefix,
    RISK_ENGINE_URL: engine.url,
    RISK_ENGINE_TOKEN: TOKEN,
    LOG_LEVEL: 'info',
  };
}

/** Runs the bin to completion; resolves with its exit code and output. */
function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: baseEnv() }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `run` and resolves with the port it logs once it has started. */
async function startWorker(): Promise<number> {
  const child = spawn(process.execPath, [CLI, 'run'], {
    env: { ...baseEnv(), MODERATION_WORKER_ADDR: '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  worker = child;
  // The reader keeps draining stdout for the worker's whole life, so its log writes never block.
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'moderation worker started' && entry.port !== undefined) resolve(entry.port);
    });
    child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it started`)));
  });
}

/** Polls /health/ready until 200: readiness is a cached probe with no event to await. */
async function untilReady(url: string): Promise<void> {
  for (;;) {
    const response = await fetch(`${url}/health/ready`).catch(() => null);
    await response?.body?.cancel();
    if (response?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  db = await createWorkerDatabase('ops_live', { migrate: migrateUp });
  engine = await startFakeRiskEngine({ token: TOKEN });
  prefix = uniquePrefix('ops-live');
  const port = await startWorker();
  workerUrl = `http://127.0.0.1:${port}`;
  await untilReady(workerUrl);
});

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) {
    worker.kill('SIGKILL');
    await once(worker, 'exit');
  }
  await engine.stop();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = openRankedMatchQueue(redis, { prefix });
  await queue.obliterate({ force: true });
  await queue.close();
  redis.disconnect();
  await db.drop();
});

describe('operator commands against the running worker', () => {
  it('check passes against a freshly started worker, engine, schema and queue', async () => {
    const result = await runCli(['check', '--worker-url', workerUrl]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^worker \/health\/ready +OK +HTTP 200$/m);
    expect(result.stdout).toMatch(/^risk engine \/health\/ready +OK /m);
    expect(result.stdout).toMatch(/all 11 checks passed/);
    expect(result.stdout + result.stderr).not.toContain(TOKEN);

    const json = await runCli(['check', '--worker-url', workerUrl, '--json']);
    expect(json.code, json.stdout + json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, summary: 'all 11 checks passed' });
  });

  it('queue pause makes check fail until queue resume, while the worker stays ready', async () => {
    expect((await runCli(['queue', 'pause'])).code).toBe(0);
    const paused = await runCli(['check', '--worker-url', workerUrl]);
    expect(paused.code).toBe(1);
    expect(paused.stdout).toMatch(/^queue +FAIL +.* PAUSED/m);
    expect(paused.stdout).toMatch(/^worker \/health\/ready +OK/m);

    expect((await runCli(['queue', 'resume'])).code).toBe(0);
    expect((await runCli(['check', '--worker-url', workerUrl])).code).toBe(0);
  });

  it('check fails once the worker has drained and exited', async () => {
    const exited = once(worker!, 'exit');
    worker!.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
    const result = await runCli(['check', '--worker-url', workerUrl]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^worker \/health\/live +FAIL +.*ECONNREFUSED/m);
  });
});
