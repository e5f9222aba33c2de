import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { startOnFreePort } from './ports.js';
import { findPostgresBin } from './postgres-bin.js';
import { runSql } from './run-sql.js';

const run = promisify(execFile);

const found = findPostgresBin();

/**
 * Where the PostgreSQL server binaries live: `E2E_PG_BIN`, else found (see findPostgresBin); empty when
 * none was found, and then starting a private PostgreSQL fails naming what was looked for.
 */
export const PG_BIN = 'dir' in found ? found.dir : '';

/** A PostgreSQL cluster owned by one test file: its own data directory, port and socket dir. */
export interface PrivatePostgres {
  readonly port: number;
  /** Connection string for the `postgres` database as the `postgres` superuser (trust auth). */
  readonly adminUrl: string;
  /** Connection string for another database on this cluster. */
  urlFor(database: string): string;
  /** Creates a database and returns its connection string. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (`pg_ctl stop -m fast`); data is kept. */
  stop(): Promise<void>;
  /** Starts the cluster again on the same port. */
  start(): Promise<void>;
  /** Immediate shutdown and removal of the data directory. */
  destroy(): Promise<void>;
}

const clusters = new Set<string>();

/** Options of {@link startPrivatePostgres}. */
export interface PrivatePostgresOptions {
  /**
   * A login role (superuser) that must give its password over TCP (scram-sha-256), so a test can
   * present a wrong one; `postgres` keeps trust auth. Default: none, trust for every role.
   */
  passwordRole?: { name: string; password: string };
}

/**
 * `initdb` into a fresh temporary directory and start the cluster on a free port. initdb refuses
 * to run as root, so when we are root the binaries run as the `postgres` user via `runuser`.
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  if ('error' in found) throw new Error(`private PostgreSQL: ${found.error}`);
  // Set by the first start (startOnFreePort); every restart reuses it.
  let port = 0;
  const dir = await mkdtemp(join(tmpdir(), 'gd-pg-'));
  const dataDir = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    await chown(dir, uid, gid);
  }
  await pgBinary('initdb', ['-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '-D', dataDir]);
  if (options.passwordRole) {
    // writeFile keeps the file's owner (postgres) when we run as root.
    await writeFile(
      join(dataDir, 'pg_hba.conf'),
      'local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n',
    );
  }
  const start = async () => {
    const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await pgBinary('pg_ctl', [
      '-D',
      dataDir,
      '-o',
      serverOptions,
      '-l',
      join(dir, 'server.log'),
      '-w',
      'start',
    ]);
    clusters.add(dataDir);
  };
  const stop = async (mode: 'fast' | 'immediate') => {
    // Idempotent: no postmaster.pid means the cluster is not running.
    if (existsSync(join(dataDir, 'postmaster.pid'))) {
      await pgBinary('pg_ctl', ['-D', dataDir, '-m', mode, '-w', 'stop']);
    }
    clusters.delete(dataDir);
  };
  await startOnFreePort((free) => {
    port = free;
    return start();
  });
  const chosenPort = port;
  const urlFor = (database: string) => `postgres://postgres@127.0.0.1:${chosenPort}/${database}`;
  if (options.passwordRole) {
    const { name, password } = options.passwordRole;
    await runSql(
      urlFor('postgres'),
      `CREATE ROLE ${pg.escapeIdentifier(name)} LOGIN SUPERUSER PASSWORD ${pg.escapeLiteral(password)}`,
    );
  }
  return {
    port: chosenPort,
    adminUrl: urlFor('postgres'),
    urlFor,
    async createDatabase(name) {
      await runSql(urlFor('postgres'), `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return urlFor(name);
    },
    stop: () => stop('fast'),
    start,
    async destroy() {
      await stop('immediate');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function pgBinary(name: string, args: string[]): Promise<void> {
  const binary = join(PG_BIN, name);
  if (process.getuid?.() === 0) {
    await run('runuser', ['-u', 'postgres', '--', binary, ...args], { cwd: tmpdir() });
  } else {
    await run(binary, args, { cwd: tmpdir() });
  }
}

// pg_ctl daemonises the server, so it is not our child: stop any cluster a crashed test left running.
process.once('exit', () => {
  for (const dataDir of clusters) {
    const args = [join(PG_BIN, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', '-w', 'stop'];
    try {
      if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', ...args]);
      else execFileSync(args[0] as string, args.slice(1));
    } catch {
      // Already stopped.
    }
  }
});
