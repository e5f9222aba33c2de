import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from './poll.js';
import { startOnFreePort } from './ports.js';
import { type ManagedProcess, spawnManaged } from './processes.js';

/** A redis-server owned by one test file, on its own port, restartable on that same port. */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Whether the server process is currently running. */
  readonly running: boolean;
  /** Stops the server (SIGTERM: it flushes its append-only file) and waits for the port to close. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the data it had. */
  start(): Promise<void>;
  /** Stops it for good and removes its data directory. */
  destroy(): Promise<void>;
}

/** Options for {@link startPrivateRedis}. */
export interface PrivateRedisOptions {
  /**
   * Keep data across `stop()`/`start()` with an fsync-always append-only file (default true).
   * Production Redis persists, so a restart test must not lose the queue because of the harness.
   */
  persistent?: boolean;
}

/** Starts `redis-server` on a free port (no daemonising; the test owns the process). */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const persistent = options.persistent ?? true;
  // Set by the first start (startOnFreePort); every restart reuses it.
  let port = 0;
  const dir = await mkdtemp(join(tmpdir(), 'gd-redis-'));
  let server: ManagedProcess | undefined;

  const start = async (): Promise<void> => {
    if (server !== undefined && server.exitState === undefined) return;
    server = spawnManaged({
      name: `redis:${port}`,
      command: 'redis-server',
      args: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        persistent ? 'yes' : 'no',
        '--appendfsync',
        'always',
        '--dir',
        dir,
        '--daemonize',
        'no',
      ],
      env: { PATH: process.env.PATH },
    });
    const started = server;
    const outcome = await pollUntil(
      async () => {
        // An exit (e.g. the port was taken meanwhile) ends the wait at once instead of timing out.
        if (started.exitState !== undefined) return 'exited';
        return (await ping(port)) ? 'up' : undefined;
      },
      { description: `private redis on ${port} to answer PING`, timeoutMs: 15_000 },
    );
    if (outcome === 'exited') throw new Error(`redis-server exited: ${started.logs.text()}`);
  };

  const stop = async (): Promise<void> => {
    if (server === undefined || server.exitState !== undefined) return;
    await server.stop(10_000);
  };

  await startOnFreePort((free) => {
    port = free;
    return start();
  });
  const url = `redis://127.0.0.1:${port}`;
  const chosenPort = port;
  return {
    port: chosenPort,
    url,
    get running() {
      return server !== undefined && server.exitState === undefined;
    },
    stop,
    start,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** True when a Redis server on `port` answers PING with PONG. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString('utf8');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}
