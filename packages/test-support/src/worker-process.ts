// The worker as it runs in production: `moderation-worker run` in a process of its own.
import { httpStatus } from './http-status.js';
import { type LineListener, messageIncludes } from './log-capture.js';
import { pollUntil } from './poll.js';
import { type ManagedProcess, spawnManaged } from './processes.js';
import { WORKER_CLI, type WorkerEnv } from './worker-cli.js';

/** A running `moderation-worker run` with its health/metrics address. */
export interface WorkerProcess extends ManagedProcess {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** Resolves once `/health/ready` answers 200; fails early if the process exits. */
  waitReady(timeoutMs?: number): Promise<void>;
}

/** Options of {@link startWorker}. */
export interface WorkerProcessOptions {
  /** The CLI script to run (default: the built worker bin, {@link WORKER_CLI}). */
  cli?: string;
  /** Node flags before the script (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Sees every output line as it arrives. */
  onLine?: LineListener;
}

/**
 * Starts `node dist/cli.js run` with exactly `env` (plus PATH). It binds port 0 and the port is read
 * from its "moderation worker started" line: no window in which another test can take the port.
 */
export async function startWorker(
  env: WorkerEnv,
  name = 'worker',
  options: WorkerProcessOptions = {},
): Promise<WorkerProcess> {
  const managed = spawnManaged({
    name,
    command: process.execPath,
    args: [...(options.nodeArgs ?? []), options.cli ?? WORKER_CLI, 'run'],
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env, MODERATION_WORKER_ADDR: '127.0.0.1:0' },
    ...(options.onLine !== undefined && { onLine: options.onLine }),
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
      // An exit ends the wait at once (pollUntil would take a thrown error for "not yet").
      const outcome = await pollUntil(
        async () => {
          if (managed.exitState !== undefined) return 'exited';
          return (await httpStatus(`${baseUrl}/health/ready`)) === 200 ? 'ready' : undefined;
        },
        { description: `${name} ready on ${baseUrl}`, timeoutMs },
      );
      if (outcome === 'exited') {
        throw new Error(`${name} exited (${JSON.stringify(managed.exitState)}): ${managed.logs.text()}`);
      }
    },
  };
  return worker;
}
