import type pg from 'pg';

/**
 * Runs `work` in one transaction on a client of its own (the sweeps hold one across Redis calls):
 * COMMIT when it returns, ROLLBACK when it throws. A client whose ROLLBACK failed, or whose server
 * connection died while it was held, is destroyed on release rather than pooled again. Such a death
 * between two queries is an 'error' event on the client, which would crash the process unheard:
 * it is kept here, and the next query of `work` fails with it.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let unusable: Error | undefined;
  const onError = (error: Error) => {
    unusable ??= error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      unusable ??= rollbackError;
    });
    throw error;
  } finally {
    client.off('error', onError);
    client.release(unusable);
  }
}
