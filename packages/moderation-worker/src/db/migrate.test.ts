import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyApiSchema,
  createTempDatabase,
  startPrivatePgBouncer,
  type TempDatabase,
} from '@geoduels/test-support';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MigrationError } from '../errors.js';
import {
  forceSchemaVersion,
  MIGRATION_LOCK_KEY,
  MIGRATIONS_TABLE,
  migrateDown,
  migrateUp,
  migrationStatus,
  REQUIRED_SCHEMA_VERSION,
} from './migrate.js';
import { MIGRATIONS_DIR, readMigrationFiles } from './migration-files.js';

/** The versions shipped in db/migrations, oldest first. */
let shipped: number[];
let latest: number;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  shipped = (await readMigrationFiles()).map((file) => file.version);
  latest = shipped.at(-1) ?? 0;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh database with the production-shaped API schema (its schema_migrations at 53). */
async function apiDatabase(label: string): Promise<string> {
  const temp: TempDatabase = await createTempDatabase(label);
  cleanups.push(() => temp.drop());
  await applyApiSchema(temp.url);
  return temp.url;
}

/** A copy of db/migrations plus extra files (name -> SQL), removed after the test. */
async function migrationsWith(extra: Record<string, string>, base: string | null = MIGRATIONS_DIR) {
  const dir = await mkdtemp(join(tmpdir(), 'gd-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  if (base !== null) await cp(base, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) await writeFile(join(dir, name), sql);
  return dir;
}

/** The two synthetic migrations after the shipped ones: each creates one table, its down drops it. */
function twoMore(): { a: number; b: number; files: Record<string, string> } {
  const a = latest + 1;
  const b = latest + 2;
  const name = (v: number) => String(v).padStart(6, '0');
  return {
    a,
    b,
    files: {
      [`${name(a)}_test_a.up.sql`]: 'CREATE TABLE migrate_test_a (id int);',
      [`${name(a)}_test_a.down.sql`]: 'DROP TABLE migrate_test_a;',
      [`${name(b)}_test_b.up.sql`]: 'CREATE TABLE migrate_test_b (id int);',
      [`${name(b)}_test_b.down.sql`]: 'DROP TABLE migrate_test_b;',
    },
  };
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The raw rows of a golang-migrate style table, as `[version, dirty]`. */
async function versionRows(url: string, table: string): Promise<Array<[number, boolean]>> {
  const rows = await query<{ version: string; dirty: boolean }>(url, `SELECT version, dirty FROM ${table}`);
  return rows.map((row) => [Number(row.version), row.dirty]);
}

/** The worker tables (and test tables) that exist. */
async function workerTables(url: string): Promise<string[]> {
  const rows = await query<{ tablename: string }>(
    url,
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public'
       AND (tablename IN ('risk_analysis_runs', '${MIGRATIONS_TABLE}') OR tablename LIKE 'migrate_test_%')
     ORDER BY tablename`,
  );
  return rows.map((row) => row.tablename);
}

describe('migrations', () => {
  it("applies, reverts and re-applies every migration, recording the version only in the worker's own table", async () => {
    const url = await apiDatabase('migrate_cycle');
    expect(await migrationStatus(url)).toEqual({
      version: null,
      dirty: false,
      available: shipped,
      pending: shipped,
      required: REQUIRED_SCHEMA_VERSION,
    });
    expect(REQUIRED_SCHEMA_VERSION).toBe(latest);

    expect(await migrateUp(url)).toEqual({ from: null, to: latest, applied: shipped });
    expect(await versionRows(url, MIGRATIONS_TABLE)).toEqual([[latest, false]]);
    expect(await workerTables(url)).toEqual([MIGRATIONS_TABLE, 'risk_analysis_runs']);
    expect(await versionRows(url, 'schema_migrations')).toEqual([[53, false]]);

    expect(await migrateDown(url, { all: true })).toEqual({
      from: latest,
      to: null,
      applied: [...shipped].reverse(),
    });
    expect(await versionRows(url, MIGRATIONS_TABLE)).toEqual([]);
    expect(await workerTables(url)).toEqual([MIGRATIONS_TABLE]);
    expect(await migrationStatus(url)).toMatchObject({ version: null, dirty: false, pending: shipped });

    expect(await migrateUp(url)).toEqual({ from: null, to: latest, applied: shipped });
    expect(await migrateUp(url)).toEqual({ from: latest, to: latest, applied: [] });
    expect(await versionRows(url, 'schema_migrations')).toEqual([[53, false]]);
  });

  it('applies the next n, reverts the last n (one by default) and everything with all', async () => {
    const url = await apiDatabase('migrate_steps');
    const { a, b, files } = twoMore();
    const dir = await migrationsWith(files);

    expect(await migrateUp(url, { dir, steps: shipped.length + 1 })).toEqual({
      from: null,
      to: a,
      applied: [...shipped, a],
    });
    expect(await migrationStatus(url, dir)).toMatchObject({ version: a, dirty: false, pending: [b] });
    expect(await migrateUp(url, { dir })).toEqual({ from: a, to: b, applied: [b] });

    expect(await migrateDown(url, { dir })).toEqual({ from: b, to: a, applied: [b] });
    expect(await workerTables(url)).toContain('migrate_test_a');
    expect(await workerTables(url)).not.toContain('migrate_test_b');
    expect(await migrateDown(url, { dir, steps: 1 })).toEqual({ from: a, to: latest, applied: [a] });
    expect(await migrateUp(url, { dir, steps: 2 })).toEqual({ from: latest, to: b, applied: [a, b] });
    expect(await migrateDown(url, { dir, steps: 2 })).toEqual({ from: b, to: latest, applied: [b, a] });
    expect(await migrateDown(url, { dir, all: true })).toEqual({
      from: latest,
      to: null,
      applied: [...shipped].reverse(),
    });
    expect(await migrateDown(url, { dir, all: true })).toEqual({ from: null, to: null, applied: [] });
    expect(await workerTables(url)).toEqual([MIGRATIONS_TABLE]);
  });

  it('serialises concurrent migrators on its advisory lock so each migration runs once', async () => {
    const url = await apiDatabase('migrate_lock');
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const runs = Promise.all([migrateUp(url), migrateUp(url), migrateUp(url)]);
      // While another session holds the lock, nothing is applied.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await migrationStatus(url)).toMatchObject({ version: null });
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      const applied = (await runs).flatMap((run) => run.applied);
      expect(applied.sort((x, y) => x - y)).toEqual(shipped);
      expect(await versionRows(url, MIGRATIONS_TABLE)).toEqual([[latest, false]]);
    } finally {
      await holder.end();
    }
  });

  it('leaves the version dirty when a migration fails, as golang-migrate does, and refuses to go on until forced', async () => {
    const url = await apiDatabase('migrate_dirty');
    const { a, files } = twoMore();
    const dir = await migrationsWith({
      [Object.keys(files)[0] as string]: 'CREATE TABLE migrate_test_a (id int); SELECT no_such_function();',
      [Object.keys(files)[1] as string]: 'DROP TABLE IF EXISTS migrate_test_a;',
    });
    const failure = await migrateUp(url, { dir }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationError);
    expect(failure).toMatchObject({ kind: 'failed', version: a });
    expect((failure as Error).message).toMatch(
      /^migration \d+ failed: function no_such_function\(\) does not exist/,
    );
    // The failed migration's own statements were rolled back; the ones before it stay applied.
    expect(await workerTables(url)).toEqual([MIGRATIONS_TABLE, 'risk_analysis_runs']);
    expect(await versionRows(url, MIGRATIONS_TABLE)).toEqual([[a, true]]);
    expect(await migrationStatus(url, dir)).toMatchObject({ version: a, dirty: true });

    for (const attempt of [() => migrateUp(url, { dir }), () => migrateDown(url, { dir, all: true })]) {
      const refused = await attempt().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(MigrationError);
      expect(refused).toMatchObject({ kind: 'dirty', version: a });
      expect((refused as Error).message).toContain(`${MIGRATIONS_TABLE} version ${a} is dirty`);
    }

    await forceSchemaVersion(url, latest);
    expect(await migrationStatus(url)).toMatchObject({ version: latest, dirty: false, pending: [] });
    expect(await versionRows(url, 'schema_migrations')).toEqual([[53, false]]);
  });

  it('marks the version a failed revert leads to dirty, and "no version" as golang-migrate\'s -1', async () => {
    const temp = await createTempDatabase('migrate_dirty_down');
    cleanups.push(() => temp.drop());
    const dir = await migrationsWith(
      {
        '000001_first.up.sql': 'CREATE TABLE migrate_test_a (id int);',
        '000001_first.down.sql': 'DROP TABLE migrate_test_a; SELECT no_such_function();',
        '000002_second.up.sql': 'CREATE TABLE migrate_test_b (id int);',
        '000002_second.down.sql': 'DROP TABLE migrate_test_b; SELECT no_such_function();',
      },
      null,
    );
    await migrateUp(temp.url, { dir });

    expect(await migrateDown(temp.url, { dir }).catch((error: unknown) => error)).toMatchObject({
      kind: 'failed',
      version: 2,
    });
    expect(await versionRows(temp.url, MIGRATIONS_TABLE)).toEqual([[1, true]]);
    expect(await workerTables(temp.url)).toContain('migrate_test_b');

    // The revert rolled back, so the schema is still at 2: the operator repairs the file and forces 2.
    await forceSchemaVersion(temp.url, 2);
    await writeFile(join(dir, '000002_second.down.sql'), 'DROP TABLE migrate_test_b;');
    expect(await migrateDown(temp.url, { dir })).toEqual({ from: 2, to: 1, applied: [2] });
    expect(await migrateDown(temp.url, { dir }).catch((error: unknown) => error)).toMatchObject({
      kind: 'failed',
      version: 1,
    });
    expect(await versionRows(temp.url, MIGRATIONS_TABLE)).toEqual([[-1, true]]);
    expect(await migrationStatus(temp.url, dir)).toMatchObject({ version: null, dirty: true });
    const refused = await migrateUp(temp.url, { dir }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ kind: 'dirty', version: null });
    expect((refused as Error).message).toContain(`${MIGRATIONS_TABLE} version none is dirty`);

    await forceSchemaVersion(temp.url, 1);
    await forceSchemaVersion(temp.url, null);
    expect(await versionRows(temp.url, MIGRATIONS_TABLE)).toEqual([]);
    expect(await migrationStatus(temp.url, dir)).toMatchObject({ version: null, dirty: false });
  });

  it('names each absent API table once when the API schema was never applied, and creates nothing', async () => {
    const temp: TempDatabase = await createTempDatabase('migrate_no_api');
    cleanups.push(() => temp.drop());
    const failure = await migrateUp(temp.url).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationError);
    const message = (failure as MigrationError).message;
    for (const table of [
      'users',
      'match_history',
      'site_settings',
      'moderation_signals',
      'notification_outbox',
    ])
      expect(message).toContain(`table ${table} is missing`);
    // One line per table, not one per column it should have had.
    expect(message).not.toContain('users.display_name');
    const client = new pg.Client({ connectionString: temp.url });
    await client.connect();
    try {
      const tables = await client.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`,
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual([MIGRATIONS_TABLE]);
    } finally {
      await client.end();
    }
  });

  it('refuses to migrate from a version it has no file for', async () => {
    const url = await apiDatabase('migrate_unknown');
    await forceSchemaVersion(url, 999_999);
    for (const attempt of [() => migrateUp(url), () => migrateDown(url)]) {
      const refused = await attempt().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(MigrationError);
      expect(refused).toMatchObject({ kind: 'unknown_version', version: 999_999 });
      expect((refused as Error).message).toBe('no migration file for version 999999');
    }
    expect(await workerTables(url)).toEqual([MIGRATIONS_TABLE]);
  });
});

describe('a connection that does not keep its session', () => {
  it('stops before changing anything when a transaction runs on another backend than the lock (PgBouncer in transaction mode), naming the direct URL', async () => {
    const url = await apiDatabase('migrate_pooled');
    // Two server connections handed out in turn: each transaction of the migrator lands on the other one.
    const bouncer = await startPrivatePgBouncer({ poolSize: 2, roundRobin: true });
    cleanups.push(() => bouncer.stop());
    const pooled = new pg.Pool({ connectionString: bouncer.through(url), max: 2 });
    cleanups.push(() => pooled.end());
    const held = await Promise.all([pooled.connect(), pooled.connect()]);
    await Promise.all(held.map((client) => client.query('BEGIN')));
    await Promise.all(held.map((client) => client.query('COMMIT')));
    for (const client of held) client.release();

    const refused = await migrateUp(bouncer.through(url)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MigrationError);
    expect(refused).toMatchObject({ kind: 'session_not_kept' });
    expect((refused as Error).message).toContain('POSTGRES_MIGRATE_URL');
    const table = await pooled.query('SELECT to_regclass($1) AS t', [MIGRATIONS_TABLE]);
    expect(table.rows).toEqual([{ t: null }]);
  });
});
