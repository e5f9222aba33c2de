import type pg from 'pg';

/**
 * Runs `work` in one transaction on a client of `pool`: committed when it resolves, rolled back (and
 * its error rethrown) when it throws. Resolves to what `work` resolved to.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
