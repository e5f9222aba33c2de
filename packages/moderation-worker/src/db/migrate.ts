// golang-migrate compatible bookkeeping: one row in the worker's own MIGRATIONS_TABLE(version, dirty),
// never the API's schema_migrations. Before a migration's SQL runs, the version it leads to is
// recorded dirty (-1, golang-migrate's "no version", when a down reverts the first migration); the SQL
// and the clean version then commit in one transaction. A failure leaves the dirty row behind exactly
// as golang-migrate would, so either tool can take over.
import pg from 'pg';
import { MigrationError } from '../errors.js';
import {
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
export const REQUIRED_SCHEMA_VERSION = 3;

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
  return withMigrator(databaseUrl, options.dir, async (client, files, current) => {
    const pending = files.filter((file) => file.version > (current ?? 0));
    const chosen = options.steps === undefined ? pending : pending.slice(0, options.steps);
    for (const file of chosen) await apply(client, file.version, file.up, file.version);
    return chosen.map((file) => file.version);
  });
}

/** Reverts the last `steps` applied migrations (default 1), or every applied one with `all`. */
export async function migrateDown(
  databaseUrl: string,
  options: { steps?: number; all?: boolean; dir?: string } = {},
) {
  return withMigrator(databaseUrl, options.dir, async (client, files, current) => {
    const applied = files.filter((file) => file.version <= (current ?? 0)).reverse();
    const chosen = options.all ? applied : applied.slice(0, options.steps ?? 1);
    for (const file of chosen) {
      const previous = files.filter((other) => other.version < file.version).at(-1)?.version ?? null;
      await apply(client, file.version, file.down, previous);
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
    await client.query(LOCK_SQL, [MIGRATION_LOCK_KEY]);
    try {
      await ensureTable(client);
      await client.query('BEGIN');
      await setVersion(client, version, false);
      await client.query('COMMIT');
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
  work: (client: pg.Client, files: MigrationFile[], current: number | null) => Promise<number[]>,
): Promise<MigrationRun> {
  const files = await readMigrationFiles(dir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(LOCK_SQL, [MIGRATION_LOCK_KEY]);
    try {
      await ensureTable(client);
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
      const applied = await work(client, files, current.version);
      return { from: current.version, to: (await readSchemaVersion(client)).version, applied };
    } finally {
      await client.query(UNLOCK_SQL, [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function apply(client: pg.Client, version: number, sql: string, resultingVersion: number | null) {
  await client.query('BEGIN');
  await setVersion(client, resultingVersion, true);
  await client.query('COMMIT');
  try {
    await client.query('BEGIN');
    await client.query(sql);
    await setVersion(client, resultingVersion, false);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw new MigrationError('failed', version, `migration ${version} failed: ${describeFailure(error)}`, {
      cause: error,
    });
  }
}

async function ensureTable(client: pg.Client): Promise<void> {
  await client.query(ENSURE_TABLE_SQL);
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
