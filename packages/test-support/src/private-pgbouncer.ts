// A PgBouncer in transaction pooling mode in front of a PostgreSQL server, as production reaches
// PostgreSQL. Debian's `pgbouncer` package; the binary path comes from E2E_PGBOUNCER_BIN.
import { execFileSync } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pollUntil } from './poll.js';
import { startOnFreePort } from './ports.js';
import { type ManagedProcess, spawnManaged } from './processes.js';
import { PG_ADMIN_URL } from './temp-database.js';

/** Where the PgBouncer binary lives (override with `E2E_PGBOUNCER_BIN`). */
export const PGBOUNCER_BIN = process.env.E2E_PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

/** The database name of PgBouncer's admin console (`SHOW POOLS`, `SHOW SERVERS`, ...). */
export const PGBOUNCER_ADMIN_DATABASE = 'pgbouncer';

/** Options of {@link startPrivatePgBouncer}. */
export interface PrivatePgBouncerOptions {
  /**
   * Server connections per database and user (`default_pool_size`, default 2). Keep it below the
   * client's pool so statements of different clients interleave on the same server session.
   */
  poolSize?: number;
  /** Client connections accepted in all (`max_client_conn`, default 200). */
  maxClientConnections?: number;
  /**
   * Hand out idle server connections in turn (`server_round_robin = 1`) instead of the most recently
   * used first (default false): consecutive transactions of one client then land on different server
   * sessions whenever more than one is open.
   */
  roundRobin?: boolean;
  /** The PostgreSQL server it fronts, as a URL whose host and port are used (default {@link PG_ADMIN_URL}). */
  serverUrl?: string;
}

/** One row of an admin console `SHOW` command, its columns as PgBouncer names them. */
export type AdminRow = Record<string, string | number | null>;

/** A PgBouncer owned by one test file: its own port, ini file and admin console. */
export interface PrivatePgBouncer {
  readonly port: number;
  /** The PgBouncer process (for CPU accounting). */
  readonly pid: number;
  /** Transaction pooling for every database of the server (a `*` entry): the URL of one of them. */
  urlFor(database: string): string;
  /** The same database URL with the server's host and port swapped for PgBouncer's. */
  through(databaseUrl: string): string;
  /** Runs an admin console command (`SHOW SERVERS`, `SHOW POOLS`, `SHOW CONFIG`, ...). */
  admin(command: string): Promise<AdminRow[]>;
  /** Everything PgBouncer printed. */
  logs(): string;
  /** Stops PgBouncer (SIGINT, its immediate shutdown) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts PgBouncer on a free loopback port in transaction pooling mode, trust authentication, no
 * Unix socket. PgBouncer refuses to run as root, so as root its `user` setting drops to `postgres`.
 */
export async function startPrivatePgBouncer(
  options: PrivatePgBouncerOptions = {},
): Promise<PrivatePgBouncer> {
  const server = new URL(options.serverUrl ?? PG_ADMIN_URL);
  const serverUser = decodeURIComponent(server.username || 'postgres');
  const dir = await mkdtemp(join(tmpdir(), 'gd-pgbouncer-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    await chown(dir, uid, gid);
  }
  // Trust still needs the user listed in the auth file.
  const authFile = join(dir, 'userlist.txt');
  await writeFile(authFile, `"${serverUser}" ""\n`);
  let bouncer: ManagedProcess | undefined;
  let port = 0;

  const start = async (free: number) => {
    const ini = join(dir, `pgbouncer-${free}.ini`);
    await writeFile(
      ini,
      [
        '[databases]',
        `* = host=${server.hostname} port=${server.port || '5432'} user=${serverUser}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${free}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${authFile}`,
        `admin_users = ${serverUser}`,
        'pool_mode = transaction',
        `default_pool_size = ${options.poolSize ?? 2}`,
        'min_pool_size = 0',
        `server_round_robin = ${options.roundRobin === true ? 1 : 0}`,
        'reserve_pool_size = 0',
        `max_client_conn = ${options.maxClientConnections ?? 200}`,
        // PgBouncer's default, spelled out: a client that sends start-up `options` (session
        // settings) is refused, as a worker with POSTGRES_PGBOUNCER=false would be.
        'ignore_startup_parameters =',
        `pidfile = ${join(dir, 'pgbouncer.pid')}`,
        'log_connections = 0',
        'log_disconnections = 0',
        ...(asRoot ? ['user = postgres'] : []),
        '',
      ].join('\n'),
    );
    const spawned = spawnManaged({
      name: `pgbouncer:${free}`,
      command: PGBOUNCER_BIN,
      args: [ini],
      env: { PATH: process.env.PATH },
      cwd: dir,
    });
    bouncer = spawned;
    const outcome = await pollUntil(
      async () => {
        // An exit (port taken, bad ini) ends the wait at once instead of timing out.
        if (spawned.exitState !== undefined) return 'exited';
        await adminQuery(free, serverUser, 'SHOW VERSION');
        return 'up';
      },
      { description: `private pgbouncer on ${free} to answer SHOW VERSION`, timeoutMs: 15_000 },
    ).catch(async (error: unknown) => {
      await spawned.stop(1_000);
      throw error;
    });
    if (outcome === 'exited') throw new Error(`pgbouncer exited: ${spawned.logs.text()}`);
    port = free;
  };

  try {
    await startOnFreePort(start);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const chosenPort = port;
  const through = (databaseUrl: string) => {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(chosenPort);
    return url.toString();
  };
  const pid = bouncer?.pid ?? 0;
  return {
    port: chosenPort,
    pid,
    urlFor: (database) => through(`postgres://${encodeURIComponent(serverUser)}@127.0.0.1/${database}`),
    through,
    admin: (command) => adminQuery(chosenPort, serverUser, command),
    logs: () => bouncer?.logs.text() ?? '',
    async stop() {
      if (bouncer !== undefined && bouncer.exitState === undefined) {
        bouncer.signal('SIGINT');
        await bouncer.stop(5_000);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// The admin console speaks only the simple query protocol: no parameters.
async function adminQuery(port: number, user: string, command: string): Promise<AdminRow[]> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user,
    database: PGBOUNCER_ADMIN_DATABASE,
    connectionTimeoutMillis: 2_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<AdminRow>(command)).rows;
  } finally {
    await client.end();
  }
}
