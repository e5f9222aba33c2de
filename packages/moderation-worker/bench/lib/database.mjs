// The benchmark's own throwaway database: created, given the API schema and this project's
// migrations, and dropped at the end. Mirrors src/test-support/services.ts, which is not built.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

/** Admin connection string of the local PostgreSQL (trust auth), as the tests use it. */
export const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const DB_DIR = fileURLToPath(new URL('../../db/', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const run = promisify(execFile);

/** Creates an empty, uniquely named database; `drop()` removes it even with connections open. */
export async function createBenchDatabase() {
  const name = `gd_bench_${randomBytes(5).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * Applies db/api-schema.sql (the API's tables), then this project's migrations the way an operator
 * does: `moderation-worker migrate up`.
 */
export async function applySchema(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(await readFile(`${DB_DIR}api-schema.sql`, 'utf8'));
  } finally {
    await client.end();
  }
  await run(process.execPath, [CLI, 'migrate', 'up'], {
    env: { ...process.env, POSTGRES_URL: databaseUrl, LOG_LEVEL: 'warn' },
    timeout: 60_000,
  });
}

/**
 * Removes what a phase wrote, so every phase starts from the same state: the worker's own run rows,
 * and in the API's tables only the rows the worker writes (engine signals, review notifications),
 * never the tables themselves.
 */
export async function resetModerationTables(pool) {
  await pool.query(`DELETE FROM notification_outbox WHERE type = 'moderation_signal_queued'`);
  await pool.query(`DELETE FROM moderation_signals WHERE source = 'risk_engine'`);
  await pool.query('TRUNCATE risk_analysis_runs');
  await pool.query('VACUUM ANALYZE moderation_signals, notification_outbox, risk_analysis_runs');
  await pool.query('CHECKPOINT');
}

async function adminQuery(sql) {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
