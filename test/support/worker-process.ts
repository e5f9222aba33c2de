import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { httpStatus } from './health.js';
import { type LogCapture, messageIncludes } from './logs.js';
import { pollUntil } from './poll.js';
import { type ExitState, type ManagedProcess, spawnManaged } from './processes.js';

/** The built worker bin (`moderation-worker`), run with the current node. */
export const WORKER_CLI = fileURLToPath(
  new URL('../../packages/moderation-worker/dist/cli.js', import.meta.url),
);

/** True once the worker package has been built with its CLI. */
export function workerCliBuilt(): boolean {
  return existsSync(WORKER_CLI);
}

/** The worker's environment variables (DESIGN §7); `undefined` values are left unset. */
export type WorkerEnv = Record<string, string | undefined>;

/** A running `moderation-worker run` with its health/metrics address. */
export interface WorkerProcess extends ManagedProcess {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** Resolves once `/health/ready` answers 200; fails early if the process exits. */
  waitReady(timeoutMs?: number): Promise<void>;
}

/**
 * Starts `node dist/cli.js run` with exactly `env` (plus PATH). It binds port 0 and the port is read
 * from its "moderation worker started" line: no window in which another test can take the port.
 */
export async function startWorker(env: WorkerEnv, name = 'worker'): Promise<WorkerProcess> {
  const managed = spawnManaged({
    name,
    command: process.execPath,
    args: [WORKER_CLI, 'run'],
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env, MODERATION_WORKER_ADDR: '127.0.0.1:0' },
  });
  const started = await Promise.race([
    managed.logs.waitFor(messageIncludes('moderation worker started'), `${name} started`),
    managed.exited.then((exit) => {
      throw new Error(`${name} exited before listening (${JSON.stringify(exit)}): ${managed.logs.text()}`);
    }),
  ]);
  const port = Number(started.port);
  const baseUrl = `http://127.0.0.1:${port}`;
  const worker: WorkerProcess = {
    name,
    pid: managed.pid,
    logs: managed.logs,
    exited: managed.exited,
    get exitState() {
      return managed.exitState;
    },
    signal: (signal) => managed.signal(signal),
    stop: (graceMs) => managed.stop(graceMs),
    port,
    baseUrl,
    async waitReady(timeoutMs = 30_000) {
      await pollUntil(
        async () => {
          if (managed.exitState !== undefined) {
            throw new Error(`${name} exited (${JSON.stringify(managed.exitState)}): ${managed.logs.text()}`);
          }
          return (await httpStatus(`${baseUrl}/health/ready`)) === 200;
        },
        { description: `${name} ready on ${baseUrl}`, timeoutMs },
      );
    },
  };
  return worker;
}

/** The outcome of a one-shot CLI command (`migrate up`, `enqueue`, `backfill`). */
export interface CliRun {
  exit: ExitState;
  logs: LogCapture;
}

/** Runs `node dist/cli.js <args>` to completion with exactly `env` (plus PATH). */
export async function runWorkerCli(args: string[], env: WorkerEnv): Promise<CliRun> {
  const managed = spawnManaged({
    name: `moderation-worker ${args.join(' ')}`,
    command: process.execPath,
    args: [WORKER_CLI, ...args],
    env: { PATH: process.env.PATH, ...env },
  });
  const exit = await managed.exited;
  return { exit, logs: managed.logs };
}
