import pg from 'pg';

/** Runs SQL text (one statement or a script of several) on a connection of its own, closed afterwards. */
export async function runSql(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
