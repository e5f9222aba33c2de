// Migration 000003: the run statuses unstorable and skipped_invalid_request, and a down that keeps
// what those runs recorded.
import { openTestPool, type TempDatabase } from '@geoduels/test-support';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMigratedTempDatabase } from '../test-support/worker-harness.js';
import { migrateDown, migrateUp, REQUIRED_SCHEMA_VERSION, readSchemaVersion } from './migrate.js';

let temp: TempDatabase;
let pool: pg.Pool;
const UNSTORABLE = '74000000-0000-4000-8000-000000000001';
const UNSENT = '74000000-0000-4000-8000-000000000002';

beforeAll(async () => {
  temp = await createMigratedTempDatabase('run_outcomes');
  pool = openTestPool(temp.url, 1);
});
afterAll(async () => {
  await pool.end();
  await temp.drop();
});

async function runs() {
  const result = await pool.query(
    'SELECT match_id, status, last_failure FROM risk_analysis_runs ORDER BY match_id',
  );
  return result.rows;
}

it('accepts the new statuses, and its down turns them into rejected runs with their last failure kept', async () => {
  await pool.query(
    `INSERT INTO risk_analysis_runs (match_id, status, last_failure) VALUES
       ($1, 'unstorable', '22P05: unsupported Unicode escape sequence'),
       ($2, 'skipped_invalid_request', 'too_many_players: 65 players, the engine contract allows at most 64')`,
    [UNSTORABLE, UNSENT],
  );
  await expect(
    pool.query(
      `INSERT INTO risk_analysis_runs (match_id, status) VALUES (gen_random_uuid(), 'parked_somewhere')`,
    ),
  ).rejects.toMatchObject({ code: '23514' });

  await migrateDown(temp.url, { steps: REQUIRED_SCHEMA_VERSION - 2 });
  expect(await readSchemaVersion(pool)).toEqual({ version: 2, dirty: false });
  expect(await runs()).toEqual([
    { match_id: UNSTORABLE, status: 'rejected', last_failure: '22P05: unsupported Unicode escape sequence' },
    {
      match_id: UNSENT,
      status: 'rejected',
      last_failure: 'too_many_players: 65 players, the engine contract allows at most 64',
    },
  ]);
  await expect(
    pool.query(`UPDATE risk_analysis_runs SET status = 'unstorable' WHERE match_id = $1`, [UNSTORABLE]),
  ).rejects.toMatchObject({ code: '23514' });

  await migrateUp(temp.url);
  await pool.query(`UPDATE risk_analysis_runs SET status = 'unstorable' WHERE match_id = $1`, [UNSTORABLE]);
  expect((await runs())[0]).toMatchObject({ status: 'unstorable' });
});
