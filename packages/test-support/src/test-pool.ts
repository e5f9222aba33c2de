import pg from 'pg';

/** A pool on a test database; teardown's DROP ... WITH (FORCE) may end a socket still closing. */
export function openTestPool(databaseUrl: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  pool.on('error', () => undefined);
  return pool;
}
