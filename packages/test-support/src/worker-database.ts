// A database shaped as the worker meets it in production: the API's tables, then the worker's own
// migrations. The migrations come in as a function so this package never depends on the worker
// (whose own tests use it): the worker's tests pass its source `migrateUp`, the end-to-end tests, the
// benchmark and the demo the built one, or `migrateWithCli` to go through the `migrate up` command.
import { applyApiSchema } from './api-schema.js';
import { createTempDatabase, PG_ADMIN_URL, type TempDatabase } from './temp-database.js';

/** Applies the worker's migrations to a database, e.g. the worker's `migrateUp`. */
export type MigrateUp = (databaseUrl: string) => Promise<unknown>;

/** Options of {@link createWorkerDatabase}. */
export interface WorkerDatabaseOptions {
  /** How the worker's migrations are applied. */
  migrate: MigrateUp;
  /** The server to create it on (default: the shared one, {@link PG_ADMIN_URL}). */
  adminUrl?: string;
}

/** Applies the API schema, then the worker's migrations, to an existing database. */
export async function prepareWorkerSchema(databaseUrl: string, migrate: MigrateUp): Promise<void> {
  await applyApiSchema(databaseUrl);
  await migrate(databaseUrl);
}

/** A fresh temporary database with the API schema and the worker's migrations; dropped again if either fails. */
export async function createWorkerDatabase(
  label: string,
  options: WorkerDatabaseOptions,
): Promise<TempDatabase> {
  const temp = await createTempDatabase(label, options.adminUrl ?? PG_ADMIN_URL);
  try {
    await prepareWorkerSchema(temp.url, options.migrate);
  } catch (error) {
    await temp.drop();
    throw error;
  }
  return temp;
}
