// Every test file, benchmark run and demo gets its own PostgreSQL database, so runs never collide
// and never depend on leftovers.
import { randomBytes } from 'node:crypto';
import { runSql } from './run-sql.js';

/** Admin connection string for the shared CI PostgreSQL (trust auth). */
export const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A throwaway database; `drop()` removes it (and ends any connection still open to it). */
export interface TempDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A database name unique to this call: `gd_<label>_<10 hex>`, the label reduced to `[a-z0-9_]`. */
export function tempDatabaseName(label = 't'): string {
  return `gd_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
}

/** Creates an empty database with a unique name on the server of `adminUrl` (default: the shared one). */
export async function createTempDatabase(label = 't', adminUrl = PG_ADMIN_URL): Promise<TempDatabase> {
  const name = tempDatabaseName(label);
  await runSql(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => runSql(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
