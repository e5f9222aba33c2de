import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTempDatabase, PG_ADMIN_URL, tempDatabaseName } from './temp-database.js';

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('temporary databases', () => {
  it('names each database after its label, reduced to lower-case letters, digits and underscores, plus a unique suffix', () => {
    const names = [tempDatabaseName('Notify-Once!'), tempDatabaseName('Notify-Once!')];
    for (const name of names) expect(name).toMatch(/^gd_notify_once__[0-9a-f]{10}$/);
    expect(names[0]).not.toBe(names[1]);
  });

  it('creates an empty database reachable at its url, and drops it even while a connection is still open', async () => {
    const temp = await createTempDatabase('ts_temp');
    const client = new pg.Client({ connectionString: temp.url });
    client.on('error', () => undefined);
    await client.connect();
    const { rows } = await client.query<{ db: string; tables: number }>(
      `SELECT current_database() AS db,
              (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public') AS tables`,
    );
    expect(rows).toEqual([{ db: temp.name, tables: 0 }]);

    await temp.drop();
    expect(await databaseExists(temp.name)).toBe(false);
    await client.end().catch(() => undefined);
  });
});
