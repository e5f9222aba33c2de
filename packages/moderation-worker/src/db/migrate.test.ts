import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyApiSchema, createTempDatabase, type TempDatabase } from '@geoduels/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  forceSchemaVersion,
  MigrationError,
  migrateDown,
  migrateUp,
  migrationStatus,
  REQUIRED_SCHEMA_VERSION,
} from './migrate.js';
import { MIGRATIONS_DIR } from './migration-files.js';

let temp: TempDatabase;

beforeAll(async () => {
  temp = await createTempDatabase('migrate');
  await applyApiSchema(temp.url);
});
afterAll(() => temp.drop());

async function tables(): Promise<string[]> {
  const client = new pg.Client({ connectionString: temp.url });
  await client.connect();
  try {
    const result = await client.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename IN
       ('moderation_signals', 'notification_outbox', 'risk_analysis_runs') ORDER BY tablename`,
    );
    return result.rows.map((row) => row.tablename);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  it('applies, reverts and re-applies every migration, recording the version golang-migrate style', async () => {
    expect(await migrationStatus(temp.url)).toEqual({
      version: null,
      dirty: false,
      available: [1, 2, 3],
      pending: [1, 2, 3],
      required: REQUIRED_SCHEMA_VERSION,
    });
    expect(await migrateUp(temp.url)).toEqual({ from: null, to: 3, applied: [1, 2, 3] });
    expect(await tables()).toEqual(['moderation_signals', 'notification_outbox', 'risk_analysis_runs']);

    expect(await migrateDown(temp.url, { steps: 3 })).toEqual({ from: 3, to: null, applied: [3, 2, 1] });
    expect(await tables()).toEqual([]);
    expect((await migrationStatus(temp.url)).version).toBeNull();

    expect(await migrateUp(temp.url, { steps: 2 })).toEqual({ from: null, to: 2, applied: [1, 2] });
    expect(await migrationStatus(temp.url)).toMatchObject({ version: 2, dirty: false, pending: [3] });
    expect(await migrateUp(temp.url)).toEqual({ from: 2, to: 3, applied: [3] });
    expect(await migrateUp(temp.url)).toEqual({ from: 3, to: 3, applied: [] });
    expect(await migrateDown(temp.url)).toEqual({ from: 3, to: 2, applied: [3] });
    expect(await migrateUp(temp.url)).toEqual({ from: 2, to: 3, applied: [3] });
  });

  it('serialises concurrent migrators so each migration runs once', async () => {
    await migrateDown(temp.url, { steps: 3 });
    const runs = await Promise.all([migrateUp(temp.url), migrateUp(temp.url), migrateUp(temp.url)]);
    expect(runs.flatMap((run) => run.applied).sort()).toEqual([1, 2, 3]);
    expect((await migrationStatus(temp.url)).version).toBe(3);
  });

  it('leaves the version dirty when a migration fails and refuses to go on until forced', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gd-migrations-'));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      await writeFile(
        join(dir, '000004_broken.up.sql'),
        'CREATE TABLE broken (id int); SELECT no_such_function();',
      );
      await writeFile(join(dir, '000004_broken.down.sql'), 'DROP TABLE IF EXISTS broken;');
      const failure = await migrateUp(temp.url, { dir }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MigrationError);
      expect(failure).toMatchObject({ kind: 'failed', version: 4 });
      expect(await migrationStatus(temp.url, dir)).toMatchObject({ version: 4, dirty: true });

      const refused = await migrateUp(temp.url, { dir }).catch((error: unknown) => error);
      expect(refused).toMatchObject({ kind: 'dirty', version: 4 });

      await forceSchemaVersion(temp.url, 3);
      expect(await migrationStatus(temp.url)).toMatchObject({ version: 3, dirty: false, pending: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
