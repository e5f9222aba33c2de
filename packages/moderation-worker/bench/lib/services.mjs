// Starting the processes under test, each ready before it is measured: the worker (the real
// `moderation-worker run`), the baseline, and the fake engine (its own bin), all through the shared
// process helpers of @geoduels/test-support.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  spawnManaged,
  startFakeEngineProcess,
  startWorker as startWorkerProcess,
} from '@geoduels/test-support';
import { waitFor } from './processes.mjs';

const BASELINE = fileURLToPath(new URL('../baseline.mjs', import.meta.url));
const DOCKERFILE = fileURLToPath(new URL('../../Dockerfile', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
/** How long a stopped process may drain after SIGTERM before it is killed. */
export const STOP_GRACE_MS = 30_000;

/**
 * The NODE_OPTIONS the worker's image sets (`ENV NODE_OPTIONS=...` in its Dockerfile), so the
 * benchmark measures the worker as it is deployed; '' when the image sets none.
 */
export function imageNodeOptions() {
  const match = /^ENV NODE_OPTIONS=(?:"([^"]*)"|(\S+))\s*$/m.exec(readFileSync(DOCKERFILE, 'utf8'));
  return match ? (match[1] ?? match[2]) : '';
}

/** Environment shared by the worker and the baseline, so both run with the same settings. */
function workerEnv(ctx, prefix, engineUrl, concurrency) {
  return {
    ...process.env,
    POSTGRES_URL: ctx.databaseUrl,
    POSTGRES_MAX_CONNS: String(ctx.options.maxConns),
    POSTGRES_PGBOUNCER: 'false',
    REDIS_URL: ctx.redisUrl,
    MODERATION_QUEUE_NAME: 'moderation.risk-analysis',
    MODERATION_QUEUE_PREFIX: prefix,
    MODERATION_WORKER_ADDR: '127.0.0.1:0',
    MODERATION_WORKER_CONCURRENCY: String(concurrency),
    RISK_ENGINE_URL: engineUrl,
    RISK_ENGINE_TOKEN: '',
    RISK_ENGINE_TIMEOUT: '750ms',
    MODERATION_WEBHOOK_URL: '',
    LOG_LEVEL: 'info',
  };
}

/**
 * `node dist/cli.js run`, ready when /health/ready answers 200; `cpuProfDir` turns on --cpu-prof, `env`
 * adds or replaces variables.
 */
export async function startWorker(ctx, { prefix, engineUrl, concurrency, cpuProfDir, env = {} }) {
  const profiling = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const worker = await startWorkerProcess(
    { ...workerEnv(ctx, prefix, engineUrl, concurrency), NODE_OPTIONS: ctx.options.nodeOptions, ...env },
    'worker',
    {
      nodeArgs: [...profiling, ...ctx.options.workerNodeArgs],
      ...(ctx.options.workerCli !== undefined && { cli: ctx.options.workerCli }),
    },
  );
  await worker.waitReady(READY_TIMEOUT_MS);
  return Object.assign(worker, { healthUrl: `${worker.baseUrl}/health` });
}

/** The baseline process, ready when it prints `ready`. */
export async function startBaseline(ctx, { prefix, engineUrl, concurrency }) {
  let ready = false;
  const proc = spawnManaged({
    name: 'baseline',
    command: process.execPath,
    args: [BASELINE],
    env: workerEnv(ctx, prefix, engineUrl, concurrency),
    onLine: (line) => {
      if (line === 'ready') ready = true;
    },
  });
  await waitFor(
    'the baseline to be ready',
    async () => {
      if (proc.exitState !== undefined)
        throw new Error(`the baseline exited before it was ready:\n${outputTail(proc)}`);
      return ready;
    },
    { timeoutMs: READY_TIMEOUT_MS },
  );
  return proc;
}

/** The fake engine (no token, request recording off) on `port` (0 = any), ready once it listens. */
export function startEngine(port = 0) {
  return startFakeEngineProcess({ port });
}

/** The last lines a process printed, for error reports. */
export function outputTail(proc, lines = 40) {
  return proc.logs.raw.slice(-lines).join('\n');
}
