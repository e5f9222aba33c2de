// Every statement of the worker's migrator, on its own bookkeeping table (golang-migrate's layout).

/**
 * The worker's migration table, golang-migrate's layout under its own name, so that the API's
 * `schema_migrations` (and its version) is never read or written. The golang-migrate CLI applies the
 * same files with `?x-migrations-table=moderation_worker_schema_migrations`.
 */
export const MIGRATIONS_TABLE = 'moderation_worker_schema_migrations';

/** No parameters. One row (version, dirty), or none when nothing was ever applied. */
export const READ_VERSION_SQL = `SELECT version, dirty FROM ${MIGRATIONS_TABLE} LIMIT 1`;

/** No parameters. golang-migrate's table, created when absent. */
export const ENSURE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`;

/** No parameters. The table holds one row, or none: the row is replaced, never updated. */
export const CLEAR_VERSION_SQL = `DELETE FROM ${MIGRATIONS_TABLE}`;

/** `$1` version (bigint), `$2` dirty (boolean). */
export const INSERT_VERSION_SQL = `INSERT INTO ${MIGRATIONS_TABLE} (version, dirty) VALUES ($1, $2)`;

/**
 * `$1` the advisory lock key (bigint as text). Waits until every other migrator let go; returns the
 * backend (`pid`) that holds it, so every later transaction can check it still runs there.
 */
export const LOCK_SQL = 'SELECT pg_advisory_lock($1), pg_backend_pid() AS pid';

/** No parameters. The backend running this statement (inside a transaction: the transaction's). */
export const BACKEND_PID_SQL = 'SELECT pg_backend_pid() AS pid';

/** `$1` the advisory lock key (bigint as text). */
export const UNLOCK_SQL = 'SELECT pg_advisory_unlock($1)';
