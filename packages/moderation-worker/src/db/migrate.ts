// golang-migrate compatible bookkeeping: one row in the worker's own MIGRATIONS_TABLE(version, dirty),
// never the API's schema_migrations. Before a migration's SQL runs, the version it leads to is
// recorded dirty (-1, golang-migrate's "no version", when a down reverts the first migration); the SQL
// and the clean version then commit in one transaction. A failure leaves the dirty row behind exactly
// as golang-migrate would, so either tool can take over.
import pg from 'pg';
import { MigrationError } from '../errors.js';
import {
  BACKEND_PID_SQL,
  CLEAR_VERSION_SQL,
  ENSURE_TABLE_SQL,
  INSERT_VERSION_SQL,
  LOCK_SQL,
  MIGRATIONS_TABLE,
  READ_VERSION_SQL,
  UNLOCK_SQL,
} from './migrate-sql.js';
import { MIGRATIONS_DIR, type MigrationFile, readMigrationFiles } from './migration-files.js';

export { MIGRATIONS_TABLE } from './migrate-sql.js';

/** The schema version this build of the worker needs before it consumes jobs. */
export const REQUIRED_SCHEMA_VERSION = 5;

/** What MIGRATIONS_TABLE says; `version` null when nothing was ever applied. */
export interface SchemaVersion {
  version: number | null;
  dirty: boolean;
}

/** The outcome of `up`/`down`: the versions applied or reverted, in order. */
export interface MigrationRun {
  from: number | null;
  to: number | null;
  applied: number[];
}

/** Where a database stands against the migrations on disk. */
export interface MigrationStatus extends SchemaVersion {
  available: number[];
  pending: number[];
  required: number;
}

/**
 * The session advisory lock every migrator of this project takes, whatever database it targets.
 * golang-migrate derives its key from the database, schema and table names, so the two never
 * exclude each other: never run both at once.
 */
export const MIGRATION_LOCK_KEY = '7318447650112933301';
const UNDEFINED_TABLE = '42P01';
// golang-migrate's NilVersion: stored only together with dirty = true.
const NIL_VERSION = -1;

type Queryable = Pick<pg.Pool | pg.ClientBase, 'query'>;

/** Reads the worker's applied schema version; a database without MIGRATIONS_TABLE is at version null. */
export async function readSchemaVersion(db: Queryable): Promise<SchemaVersion> {
  try {
    const result = await db.query<{ version: string; dirty: boolean }>(READ_VERSION_SQL);
    const row = result.rows[0];
    if (!row) return { version: null, dirty: false };
    const version = Number(row.version);
    return { version: version === NIL_VERSION ? null : version, dirty: row.dirty };
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE) return { version: null, dirty: false };
    throw error;
  }
}

/** Applies pending migrations (all, or the next `steps`). */
export async function migrateUp(databaseUrl: string, options: { steps?: number; dir?: string } = {}) {
  return withMigrator(databaseUrl, options.dir, async (locked, files, current) => {
    const pending = files.filter((file) => file.version > (current ?? 0));
    const chosen = options.steps === undefined ? pending : pending.slice(0, options.steps);
    for (const file of chosen) await apply(locked, file.version, file.up, file.version);
    return chosen.map((file) => file.version);
  });
}

/** Reverts the last `steps` applied migrations (default 1), or every applied one with `all`. */
export async function migrateDown(
  databaseUrl: string,
  options: { steps?: number; all?: boolean; dir?: string } = {},
) {
  return withMigrator(databaseUrl, options.dir, async (locked, files, current) => {
    const applied = files.filter((file) => file.version <= (current ?? 0)).reverse();
    const chosen = options.all ? applied : applied.slice(0, options.steps ?? 1);
    for (const file of chosen) {
      const previous = files.filter((other) => other.version < file.version).at(-1)?.version ?? null;
      await apply(locked, file.version, file.down, previous);
    }
    return chosen.map((file) => file.version);
  });
}

/** Compares the database with the migrations on disk. */
export async function migrationStatus(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<MigrationStatus> {
  const files = await readMigrationFiles(dir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const current = await readSchemaVersion(client);
    const available = files.map((file) => file.version);
    const pending = available.filter((version) => version > (current.version ?? 0));
    return { ...current, available, pending, required: REQUIRED_SCHEMA_VERSION };
  } finally {
    await client.end();
  }
}

/** Sets the recorded version and clears the dirty flag, after an operator repaired a failed migration. */
export async function forceSchemaVersion(databaseUrl: string, version: number | null): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const locked = await lock(client);
    try {
      await ensureTable(locked);
      await inLockedTransaction(locked, () => setVersion(client, version, false));
    } finally {
      await client.query(UNLOCK_SQL, [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function withMigrator(
  databaseUrl: string,
  dir: string | undefined,
  work: (locked: LockedSession, files: MigrationFile[], current: number | null) => Promise<number[]>,
): Promise<MigrationRun> {
  const files = await readMigrationFiles(dir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const locked = await lock(client);
    try {
      await ensureTable(locked);
      const current = await readSchemaVersion(client);
      if (current.dirty) {
        throw new MigrationError(
          'dirty',
          current.version,
          `${MIGRATIONS_TABLE} version ${current.version ?? 'none'} is dirty (a migration failed); repair it, then run "migrate force <version>"`,
        );
      }
      if (current.version !== null && !files.some((file) => file.version === current.version)) {
        throw new MigrationError(
          'unknown_version',
          current.version,
          `no migration file for version ${current.version}`,
        );
      }
      const applied = await work(locked, files, current.version);
      return { from: current.version, to: (await readSchemaVersion(client)).version, applied };
    } finally {
      await client.query(UNLOCK_SQL, [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

/** The migrator's connection and the backend its advisory lock was taken on. */
interface LockedSession {
  client: pg.Client;
  pid: number;
}

async function lock(client: pg.Client): Promise<LockedSession> {
  const result = await client.query<{ pid: number }>(LOCK_SQL, [MIGRATION_LOCK_KEY]);
  return { client, pid: result.rows[0]!.pid };
}

/**
 * Runs `work` in a transaction that first checks it runs on the backend holding the lock. A pooler in
 * transaction mode (PgBouncer) may hand each transaction another server session, where the lock
 * excludes nothing: then nothing of this transaction is done (the error names the direct URL).
 */
async function inLockedTransaction(locked: LockedSession, work: () => Promise<void>): Promise<void> {
  const { client } = locked;
  await client.query('BEGIN');
  try {
    const pid = (await client.query<{ pid: number }>(BACKEND_PID_SQL)).rows[0]!.pid;
    if (pid !== locked.pid) throw sessionNotKept(locked.pid, pid);
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

function sessionNotKept(lockedPid: number, pid: number): MigrationError {
  return new MigrationError(
    'session_not_kept',
    null,
    `the connection did not keep its session: the migration lock was taken by PostgreSQL backend ${lockedPid}, ` +
      `but a later transaction ran on backend ${pid}, so POSTGRES_URL goes through a pooler in transaction mode ` +
      "(PgBouncer). Migrate over PostgreSQL's own address (the migrate Job's POSTGRES_MIGRATE_URL) with " +
      'POSTGRES_PGBOUNCER=false. Stopped before that transaction; the lock may stay on a pooled server ' +
      'connection until the pooler closes it (PgBouncer: server_idle_timeout, or RECONNECT in its console)',
  );
}

async function apply(locked: LockedSession, version: number, sql: string, resultingVersion: number | null) {
  const { client } = locked;
  await inLockedTransaction(locked, () => setVersion(client, resultingVersion, true));
  try {
    await inLockedTransaction(locked, async () => {
      await client.query(sql);
      await setVersion(client, resultingVersion, false);
    });
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    throw new MigrationError('failed', version, `migration ${version} failed: ${describeFailure(error)}`, {
      cause: error,
    });
  }
}

async function ensureTable(locked: LockedSession): Promise<void> {
  await inLockedTransaction(locked, async () => {
    await locked.client.query(ENSURE_TABLE_SQL);
  });
}

/** The server's message, with its hint when it gives one (the shape check says what to do there). */
function describeFailure(error: unknown): string {
  const { message, hint } = error as { message: string; hint?: string };
  return hint ? `${message} (hint: ${hint})` : message;
}

async function setVersion(client: pg.Client, version: number | null, dirty: boolean): Promise<void> {
  // golang-migrate's layout: the table holds one row, or none when every migration is reverted;
  // "no version" is written as -1 only while dirty (a failed revert of the first migration).
  await client.query(CLEAR_VERSION_SQL);
  if (version !== null || dirty) {
    await client.query(INSERT_VERSION_SQL, [version ?? NIL_VERSION, dirty]);
  }
}
