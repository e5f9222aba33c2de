// Starting the processes under test, each ready before it is measured: the worker (the real
// `moderation-worker run`), the baseline, and the fake engine.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort, httpOk, startNode, waitFor } from './processes.mjs';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const BASELINE = fileURLToPath(new URL('../baseline.mjs', import.meta.url));
const ENGINE = fileURLToPath(new URL('../fake-engine.mjs', import.meta.url));
const DOCKERFILE = fileURLToPath(new URL('../../Dockerfile', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

/**
 * The NODE_OPTIONS the worker's image sets (`ENV NODE_OPTIONS=...` in its Dockerfile), so the
 * benchmark measures the worker as it is deployed; '' when the image sets none.
 */
export function imageNodeOptions() {
  const match = /^ENV NODE_OPTIONS=(?:"([^"]*)"|(\S+))\s*$/m.exec(readFileSync(DOCKERFILE, 'utf8'));
  return match ? (match[1] ?? match[2]) : '';
}

/** Environment shared by the worker and the baseline, so both run with the same settings. */
function workerEnv(ctx, prefix, engineUrl, concurrency, port) {
  return {
    POSTGRES_URL: ctx.databaseUrl,
    POSTGRES_MAX_CONNS: String(ctx.options.maxConns),
    POSTGRES_PGBOUNCER: 'false',
    REDIS_URL: ctx.redisUrl,
    MODERATION_QUEUE_NAME: 'moderation.risk-analysis',
    MODERATION_QUEUE_PREFIX: prefix,
    MODERATION_WORKER_ADDR: `127.0.0.1:${port}`,
    MODERATION_WORKER_CONCURRENCY: String(concurrency),
    RISK_ENGINE_URL: engineUrl,
    RISK_ENGINE_TOKEN: '',
    RISK_ENGINE_TIMEOUT: '750ms',
    MODERATION_WEBHOOK_URL: '',
    LOG_LEVEL: 'info',
  };
}

/** `node dist/cli.js run`, ready when /health/ready answers 200; `cpuProfDir` turns on --cpu-prof. */
export async function startWorker(ctx, { prefix, engineUrl, concurrency, cpuProfDir }) {
  const port = await freePort();
  const profiling = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const proc = startNode(
    'worker',
    [...profiling, ...ctx.options.workerNodeArgs, ctx.options.workerCli ?? CLI, 'run'],
    { ...workerEnv(ctx, prefix, engineUrl, concurrency, port), NODE_OPTIONS: ctx.options.nodeOptions },
  );
  const readyUrl = `http://127.0.0.1:${port}/health/ready`;
  await waitFor(
    'the worker to be ready',
    async () => {
      if (!proc.running()) throw new Error(`the worker exited before it was ready:\n${proc.output()}`);
      return httpOk(readyUrl);
    },
    { timeoutMs: READY_TIMEOUT_MS },
  );
  return Object.assign(proc, { healthUrl: `http://127.0.0.1:${port}/health` });
}

/** The baseline process, ready when it prints `ready`. */
export async function startBaseline(ctx, { prefix, engineUrl, concurrency }) {
  let ready = false;
  const env = workerEnv(ctx, prefix, engineUrl, concurrency, 0);
  const proc = startNode('baseline', [BASELINE], env, {
    onLine: (line) => {
      if (line === 'ready') ready = true;
    },
  });
  await waitFor(
    'the baseline to be ready',
    async () => {
      if (!proc.running()) throw new Error(`the baseline exited before it was ready:\n${proc.output()}`);
      return ready;
    },
    { timeoutMs: READY_TIMEOUT_MS },
  );
  return proc;
}

/** The fake engine on `port` (0 = any), ready when it prints its URL. */
export async function startEngine(port = 0) {
  let url = null;
  const proc = startNode(
    'fake-engine',
    [ENGINE],
    { PORT: String(port) },
    {
      onLine: (line) => {
        if (line.startsWith('ready ')) url = line.slice(6).trim();
      },
    },
  );
  await waitFor(
    'the fake engine to listen',
    async () => {
      if (!proc.running()) throw new Error(`the fake engine exited before it listened:\n${proc.output()}`);
      return url !== null;
    },
    { timeoutMs: READY_TIMEOUT_MS },
  );
  return Object.assign(proc, { url });
}
