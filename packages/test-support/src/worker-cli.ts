// One-shot commands of the built worker bin (`migrate up`, `enqueue`, `backfill`, ...).
import { existsSync } from 'node:fs';
import type { LogCapture } from './log-capture.js';
import { WORKER_PACKAGE_DIR } from './paths.js';
import { type ExitState, spawnManaged } from './processes.js';

/** The built worker bin (`moderation-worker`), run with the current node. */
export const WORKER_CLI = `${WORKER_PACKAGE_DIR}dist/cli.js`;

/** The worker's environment variables; `undefined` values are left unset. */
export type WorkerEnv = Record<string, string | undefined>;

/** True once the worker package has been built with its CLI. */
export function workerCliBuilt(): boolean {
  return existsSync(WORKER_CLI);
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

/** Raised when `moderation-worker migrate up` does not exit 0; carries how it ended and what it printed. */
export class MigrateCommandError extends Error {
  override readonly name = 'MigrateCommandError';
  readonly code = 'MIGRATE_COMMAND_FAILED';
  constructor(
    readonly exit: ExitState,
    readonly output: string,
  ) {
    super(`moderation-worker migrate up failed (${JSON.stringify(exit)}): ${output}`);
  }
}

/**
 * Migrates a database the way an operator does, with the `moderation-worker migrate up` process; a
 * {@link MigrateUp} for `createWorkerDatabase`.
 */
export async function migrateWithCli(databaseUrl: string): Promise<void> {
  const run = await runWorkerCli(['migrate', 'up'], { POSTGRES_URL: databaseUrl });
  if (run.exit.code !== 0) throw new MigrateCommandError(run.exit, run.logs.text());
}
