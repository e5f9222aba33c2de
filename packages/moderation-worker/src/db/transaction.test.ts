import { createTempDatabase, openTestPool, type TempDatabase } from '@geoduels/test-support';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from './transaction.js';

let temp: TempDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  temp = await createTempDatabase('transaction');
  pool = openTestPool(temp.url, 2);
  await pool.query('CREATE TABLE t (n int)');
});
afterAll(async () => {
  await pool.end();
  await temp.drop();
});

const rows = async () => (await pool.query<{ n: number }>('SELECT n FROM t ORDER BY n')).rows.map((r) => r.n);

describe('withTransaction', () => {
  it('commits what the work wrote and returns its result, or rolls it all back when the work throws', async () => {
    await pool.query('TRUNCATE t');
    expect(
      await withTransaction(pool, async (c) => (await c.query('INSERT INTO t VALUES (1)')).rowCount),
    ).toBe(1);
    const failure = new Error('work failed');
    await expect(
      withTransaction(pool, async (c) => {
        await c.query('INSERT INTO t VALUES (2)');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await rows()).toEqual([1]);
  });

  it('fails the work, without an uncaught error, when its server connection dies while it is held', async () => {
    const uncaught: Error[] = [];
    const listener = (error: Error) => uncaught.push(error);
    process.on('uncaughtException', listener);
    try {
      const held = withTransaction(pool, async (c) => {
        const { rows: me } = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // Between two queries, as a sweep between its PostgreSQL reads and its Redis enqueues.
        await pool.query('SELECT pg_terminate_backend($1)', [me[0]!.pid]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await c.query('SELECT 1');
      });
      await expect(held).rejects.toThrow();
      expect(uncaught).toEqual([]);
      // The dead client went away instead of back into the pool: the next transaction works.
      expect(await withTransaction(pool, async (c) => (await c.query('SELECT 2 AS n')).rows[0])).toEqual({
        n: 2,
      });
    } finally {
      process.off('uncaughtException', listener);
    }
  });
});
