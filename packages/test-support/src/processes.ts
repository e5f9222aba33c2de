import { type ChildProcess, spawn } from 'node:child_process';
import { type LineListener, LogCapture } from './log-capture.js';

/** How a managed process ended. */
export interface ExitState {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What to start: a command, its arguments and its whole environment (nothing is inherited implicitly). */
export interface SpawnOptions {
  /** Short label used in error messages. */
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Sees every output line as it arrives (the lines are captured in `logs` either way). */
  onLine?: LineListener;
}

/** A child process whose output is captured and whose lifetime the test controls. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logs: LogCapture;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<ExitState>;
  /** The exit state, or `undefined` while it runs. */
  readonly exitState: ExitState | undefined;
  /** Sends a signal (no-op when it already exited). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if still alive after `graceMs` (default 10 s); resolves on exit. */
  stop(graceMs?: number): Promise<ExitState>;
}

const live = new Set<ManagedProcess>();

/** Starts a process with captured stdout/stderr; it is registered for {@link stopAllProcesses}. */
export function spawnManaged(options: SpawnOptions): ManagedProcess {
  const env = Object.fromEntries(
    Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const child = spawn(options.command, options.args, {
    env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) {
    throw new Error(`${options.name}: could not start ${options.command} (no pid)`);
  }
  const logs = new LogCapture(options.onLine);
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => logs.push('stdout', chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => logs.push('stderr', chunk));
  child.stdout?.on('end', () => logs.end('stdout'));
  child.stderr?.on('end', () => logs.end('stderr'));
  return track(options.name, child, logs);
}

/** Kills every managed process still running (SIGKILL) and waits for them; call it in `afterAll`. */
export async function stopAllProcesses(): Promise<void> {
  const running = [...live];
  for (const managed of running) managed.signal('SIGKILL');
  await Promise.all(running.map((managed) => managed.exited));
}

function track(name: string, child: ChildProcess, logs: LogCapture): ManagedProcess {
  let exitState: ExitState | undefined;
  const exited = new Promise<ExitState>((resolve) => {
    // 'close' (not 'exit') so the captured output is complete when the promise resolves.
    child.once('close', (code, signal) => {
      exitState = { code, signal };
      live.delete(managed);
      resolve(exitState);
    });
    child.once('error', () => {
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined) {
        exitState = { code: null, signal: null };
        live.delete(managed);
        resolve(exitState);
      }
    });
  });
  const managed: ManagedProcess = {
    name,
    pid: child.pid as number,
    logs,
    exited,
    get exitState() {
      return exitState;
    },
    signal(signal) {
      if (exitState === undefined && child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    async stop(graceMs = 10_000) {
      managed.signal('SIGTERM');
      const timer = setTimeout(() => managed.signal('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  live.add(managed);
  return managed;
}

// Last line of defence when a test file crashes before its afterAll: never leave children behind.
process.once('exit', () => {
  for (const managed of live) managed.signal('SIGKILL');
});
