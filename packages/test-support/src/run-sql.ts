import pg from 'pg';

/** Runs SQL text (one statement or a script of several) on a connection of its own, closed afterwards. */
export async function runSql(databaseUrl: string, sql: string): Promise<void> {
  await withConnection(databaseUrl, (client) => client.query(sql));
}

/** The rows of one statement (`params` for its `$n`), read on a connection of its own, closed afterwards. */
export function queryRows<T extends pg.QueryResultRow>(
  databaseUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return withConnection(databaseUrl, async (client) => (await client.query<T>(sql, params)).rows);
}

async function withConnection<T>(databaseUrl: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
