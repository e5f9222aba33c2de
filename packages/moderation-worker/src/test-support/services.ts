// Test-only helpers: every test file gets its own PostgreSQL database and Redis key prefix, so
// runs never collide and never depend on leftovers. Not part of the published build.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** Admin connection string for the shared CI PostgreSQL (trust auth). */
export const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The shared CI Redis. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Absolute path of the worker package's `db/` folder (migrations and the API schema). */
export const DB_DIR = fileURLToPath(new URL('../../db/', import.meta.url));

/** A throwaway database; `drop()` removes it (and ends any connection still open to it). */
export interface TempDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database with a unique name on the shared server. */
export async function createTempDatabase(label = 't'): Promise<TempDatabase> {
  const name = `gd_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Applies `db/api-schema.sql` (the API-owned tables the worker reads) to a database. */
export async function applyApiSchema(databaseUrl: string): Promise<void> {
  const sql = await readFile(new URL('api-schema.sql', `file://${DB_DIR}`), 'utf8');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A Redis key prefix unique to this test, hash-tagged so it also works on Redis Cluster. */
export function uniquePrefix(label = 't'): string {
  return `{gdtest-${label}-${randomBytes(4).toString('hex')}}`;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A pool on a test database; teardown's DROP ... WITH (FORCE) may end a socket still closing. */
export function openTestPool(databaseUrl: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  pool.on('error', () => undefined);
  return pool;
}
