// The pool against a real PgBouncer in transaction pooling with ONE server connection: every client
// of the pool shares that server session, so anything a client left on it (a named prepared
// statement, a session setting) is seen by the next one.
import {
  createWorkerDatabase,
  type PrivatePgBouncer,
  startPrivatePgBouncer,
  type TempDatabase,
} from '@geoduels/test-support';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMatchesFacts } from '../analysis/facts.js';
import { LOAD_FACTS_SQL } from '../analysis/facts-sql.js';
import { migrateUp } from './migrate.js';
import { createDatabase, type Database, statement } from './pool.js';

const MATCH_A = '10000000-0000-4000-8000-0000000000a1';
const MATCH_B = '10000000-0000-4000-8000-0000000000b2';
const now = new Date('2026-03-01T00:00:00Z');

let bouncer: PrivatePgBouncer;
let temp: TempDatabase;
const pools: pg.Pool[] = [];

beforeAll(async () => {
  [bouncer, temp] = await Promise.all([
    startPrivatePgBouncer({ poolSize: 1 }),
    createWorkerDatabase('pool_pgbouncer', { migrate: migrateUp }),
  ]);
});

afterAll(async () => {
  await Promise.allSettled(pools.map((pool) => pool.end()));
  await Promise.allSettled([bouncer?.stop(), temp?.drop()]);
});

/** A pool whose `clients` connections are all open and idle, so concurrent queries each take their own. */
async function warm(db: Database, clients: number): Promise<Database> {
  pools.push(db.pool);
  const held = await Promise.all(Array.from({ length: clients }, () => db.pool.connect()));
  for (const client of held) client.release();
  return db;
}

const serversOf = async (database: string) =>
  (await bouncer.admin('SHOW SERVERS')).filter((row) => row.database === database);
const clientsOf = async (database: string) =>
  (await bouncer.admin('SHOW CLIENTS')).filter((row) => row.database === database);

describe('the PostgreSQL pool behind PgBouncer (transaction pooling, one server connection)', () => {
  it('with POSTGRES_PGBOUNCER=true, four clients read facts over one server session and leave no prepared statement on it', async () => {
    const db = await warm(
      createDatabase({ url: bouncer.through(temp.url), maxConns: 4, pgbouncer: true }),
      4,
    );
    const reads = await Promise.all(
      Array.from({ length: 12 }, (_, i) => loadMatchesFacts(db, [i % 2 ? MATCH_A : MATCH_B], now)),
    );
    expect(reads.flat().map((facts) => facts.kind)).toEqual(reads.map(() => 'unknown_match'));
    expect(await clientsOf(temp.name)).toHaveLength(4);
    const [server, ...others] = await serversOf(temp.name);
    expect(others).toEqual([]);
    expect(server?.application_name).toBe('moderation-worker');
    // pg_prepared_statements is the session's own: through a one-connection pool it is THE session.
    expect((await db.pool.query('SELECT name FROM pg_prepared_statements')).rows).toEqual([]);
  });

  it('the same read as a named statement breaks there: the next client finds the name already prepared on the shared session (42P05)', async () => {
    // What POSTGRES_PGBOUNCER=true prevents, and proof that the check above would see a named statement.
    const db = {
      ...createDatabase({ url: bouncer.through(temp.url), maxConns: 2, pgbouncer: true }),
      namedStatements: true,
    };
    pools.push(db.pool);
    const read = statement(db, 'moderation_load_facts', LOAD_FACTS_SQL, [[MATCH_A]]);
    const [first, second] = await Promise.all([db.pool.connect(), db.pool.connect()]);
    try {
      await first.query(read);
      expect((await first.query('SELECT name FROM pg_prepared_statements')).rows).toEqual([
        { name: 'moderation_load_facts' },
      ]);
      await expect(second.query(read)).rejects.toMatchObject({ code: '42P05' });
    } finally {
      first.release();
      second.release(true);
    }
  });

  it('with POSTGRES_PGBOUNCER=false it cannot connect at all: PgBouncer refuses the session setting sent at start-up (08P01)', async () => {
    const db = createDatabase({ url: bouncer.through(temp.url), maxConns: 1, pgbouncer: false });
    pools.push(db.pool);
    await expect(db.pool.query('SELECT 1')).rejects.toMatchObject({
      code: '08P01',
      message: expect.stringContaining('options'),
    });
  });
});
