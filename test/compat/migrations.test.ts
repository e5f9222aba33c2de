// The worker's migrations against a production-shaped GeoDuels database: live rows in every API table,
// the API's own schema_migrations at 53, and the least privileges a production worker role has. The
// migrations run through the built `moderation-worker migrate` bin, as the migration Job runs them.
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forceSchemaVersion, MigrationError, migrateUp } from '@geoduels/moderation-worker';
import {
  applyApiSchema,
  createTempDatabase,
  PG_ADMIN_URL,
  queryRows,
  runSql,
  runWorkerCli,
  type TempDatabase,
  WORKER_PACKAGE_DIR,
} from '@geoduels/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertApiRows } from '../support/api-rows.js';
import {
  API_TABLES,
  apiObjectNames,
  apiSchemaShape,
  apiSchemaVersion,
  apiTableDigests,
  nonApiTables,
} from '../support/api-tables.js';
import { findApiWrites } from '../support/migration-sql-scan.js';

const MIGRATIONS_DIR = join(WORKER_PACKAGE_DIR, 'db', 'migrations');
const WORKER_TABLE = 'moderation_worker_schema_migrations';

/** The shipped migration versions, oldest first, and every file's SQL by name. */
async function migrationFiles(): Promise<{ versions: number[]; sql: Map<string, string> }> {
  const names = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).sort();
  const sql = new Map<string, string>();
  for (const name of names) sql.set(name, await readFile(join(MIGRATIONS_DIR, name), 'utf8'));
  const versions = [...new Set(names.map((name) => Number(name.slice(0, name.indexOf('_')))))];
  return { versions: versions.sort((a, b) => a - b), sql };
}

/** The worker's golang-migrate table, as `[version, dirty]` rows. */
async function workerVersion(url: string): Promise<Array<[number, boolean]>> {
  const rows = await queryRows<{ version: string; dirty: boolean }>(
    url,
    `SELECT version, dirty FROM ${WORKER_TABLE}`,
  );
  return rows.map((row) => [Number(row.version), row.dirty]);
}

/** Runs `moderation-worker migrate <args>`; returns its exit code, the JSON it printed and its stderr. */
async function migrate(url: string, ...args: string[]) {
  const { exit, logs } = await runWorkerCli(['migrate', ...args], { POSTGRES_URL: url });
  const stream = (name: string) =>
    logs.raw
      .filter((line) => line.startsWith(`${name}: `))
      .map((line) => line.slice(name.length + 2))
      .join('\n');
  const stdout = stream('stdout');
  const stderr = stream('stderr');
  const json = logs.lines.at(-1);
  return { code: exit.code, json, stdout, stderr, text: logs.text() };
}

/**
 * A login role with what a production worker is granted: read the fact tables, insert and update
 * signals and notifications, create its own tables; nothing at all on the API's schema_migrations.
 */
async function createWorkerRole(database: TempDatabase): Promise<{ url: string; drop: () => Promise<void> }> {
  const role = `gd_migrator_${randomBytes(4).toString('hex')}`;
  await runSql(PG_ADMIN_URL, `CREATE ROLE ${role} LOGIN`);
  await runSql(
    database.url,
    `GRANT USAGE, CREATE ON SCHEMA public TO ${role};
     GRANT SELECT ON users, match_history, match_players, ranked_guess_events, ranks, ranked_stats, site_settings
       TO ${role};
     GRANT SELECT, INSERT, UPDATE ON moderation_signals, notification_outbox TO ${role};
     GRANT USAGE ON SEQUENCE moderation_signals_id_seq, notification_outbox_id_seq TO ${role};`,
  );
  const url = new URL(database.url);
  url.username = role;
  return {
    url: url.toString(),
    drop: async () => {
      await database.drop();
      await runSql(PG_ADMIN_URL, `DROP ROLE IF EXISTS ${role}`);
    },
  };
}

/** A database with the API schema (schema_migrations at 53) and rows in every API table. */
async function productionShaped(label: string): Promise<TempDatabase> {
  const database = await createTempDatabase(label);
  await applyApiSchema(database.url);
  await insertApiRows(database.url);
  return database;
}

let shipped: number[];

beforeAll(async () => {
  shipped = (await migrationFiles()).versions;
});

describe('worker migrations on a production-shaped database', () => {
  let database: TempDatabase;
  let worker: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    database = await productionShaped('compat_cycle');
    worker = await createWorkerRole(database);
  });
  afterAll(() => worker.drop());

  it('builds a database with rows in every API table and the API at version 53', async () => {
    const digests = await apiTableDigests(database.url);
    for (const table of API_TABLES) expect(digests[table], table).not.toMatch(/^0:/);
    expect(await apiSchemaVersion(database.url)).toEqual([[53, false]]);
    expect(await nonApiTables(database.url)).toEqual([]);
  });

  it("applies and reverts as the worker's role, leaving every API table's rows and shape and schema_migrations (53) as they were", async () => {
    const rows = await apiTableDigests(database.url);
    const shape = await apiSchemaShape(database.url);
    const latest = shipped.at(-1);
    const untouched = async (step: string) => {
      expect(await apiTableDigests(database.url), `rows after ${step}`).toEqual(rows);
      expect(await apiSchemaShape(database.url), `shape after ${step}`).toEqual(shape);
      expect(await apiSchemaVersion(database.url), `schema_migrations after ${step}`).toEqual([[53, false]]);
    };

    // The role cannot even read schema_migrations: any access by the migrator would fail the command.
    const up = await migrate(worker.url, 'up');
    expect(up.code, up.text).toBe(0);
    expect(up.json).toEqual({ action: 'up', from: null, to: latest, applied: shipped });
    expect(await workerVersion(database.url)).toEqual([[latest, false]]);
    expect(await nonApiTables(database.url)).toContain('risk_analysis_runs');
    await untouched('up');

    const status = await migrate(worker.url, 'status');
    expect(status.json).toMatchObject({ version: latest, dirty: false, pending: [] });

    const downAll = await migrate(worker.url, 'down', '--all');
    expect(downAll.code, downAll.text).toBe(0);
    expect(downAll.json).toEqual({ action: 'down', from: latest, to: null, applied: [...shipped].reverse() });
    // Only the (empty) bookkeeping table stays, as golang-migrate leaves its own.
    expect(await nonApiTables(database.url)).toEqual([WORKER_TABLE]);
    expect(await workerVersion(database.url)).toEqual([]);
    await untouched('down --all');

    const again = await migrate(worker.url, 'up');
    expect(again.json).toEqual({ action: 'up', from: null, to: latest, applied: shipped });
    await untouched('up again');

    const downOne = await migrate(worker.url, 'down', '1');
    expect(downOne.code, downOne.text).toBe(0);
    const previous = shipped.at(-2) ?? null;
    expect(downOne.json).toEqual({ action: 'down', from: latest, to: previous, applied: [latest] });
    expect(await workerVersion(database.url)).toEqual(previous === null ? [] : [[previous, false]]);
    await untouched('down 1');

    const last = await migrate(worker.url, 'up');
    expect(last.json).toMatchObject({ to: latest });
    await untouched('the final up');
  });

  it('has no migration file whose SQL drops, alters, truncates, deletes from or updates an API table', async () => {
    const names = await apiObjectNames(database.url);
    expect(names).toEqual(expect.arrayContaining([...API_TABLES, 'idx_moderation_signals_detector_dedupe']));
    const { sql } = await migrationFiles();
    expect(sql.size).toBe(shipped.length * 2);
    const offences = [...sql].flatMap(([file, text]) =>
      findApiWrites(text, names).map((write) => `${file}: ${write.verb} ${write.name}: ${write.statement}`),
    );
    expect(offences).toEqual([]);
  });

  it("the static scan itself catches each kind of change to an API object, and ignores the worker's own", () => {
    const names = ['users', 'match_history', 'notification_outbox', 'idx_moderation_signals_detector_dedupe'];
    const caught = (sql: string) => findApiWrites(sql, names).map((write) => `${write.verb} ${write.name}`);
    expect(caught('DROP TABLE IF EXISTS public.users CASCADE;')).toEqual(['DROP users']);
    expect(caught('alter table "users" drop column display_name;')).toEqual(['ALTER users']);
    expect(caught('TRUNCATE notification_outbox;')).toEqual(['TRUNCATE notification_outbox']);
    expect(caught("DELETE FROM notification_outbox WHERE type = 'x';")).toEqual([
      'DELETE notification_outbox',
    ]);
    expect(caught('UPDATE ONLY users SET display_name = NULL;')).toEqual(['UPDATE users']);
    expect(caught('DROP INDEX idx_moderation_signals_detector_dedupe;')).toEqual([
      'DROP idx_moderation_signals_detector_dedupe',
    ]);
    expect(caught('CREATE INDEX CONCURRENTLY x ON match_history (ended_at);')).toEqual([
      'CREATE INDEX match_history',
    ]);
    expect(caught('CREATE TABLE t (m uuid REFERENCES match_history (match_id));')).toEqual([
      'REFERENCES match_history',
    ]);
    expect(caught("DO $$ BEGIN EXECUTE 'ALTER TABLE users ADD COLUMN x int'; END $$;")).toEqual([
      'ALTER users',
    ]);
    expect(
      caught(`-- never ALTER TABLE users here
        /* nor DROP match_history */
        CREATE TABLE risk_users (id uuid);
        DROP TABLE IF EXISTS risk_users;
        INSERT INTO notification_outbox (type) VALUES ('t') ON CONFLICT (dedupe_key) DO UPDATE SET type = 't';
        SELECT display_name FROM users;`),
    ).toEqual([]);
  });
});

/** An API table shaped otherwise than production, what the shape check must say, and its repair. */
interface Deviation {
  name: string;
  change: string;
  messages: string[];
  repair: string;
}

const DEVIATIONS: Deviation[] = [
  {
    name: 'a missing column (users.display_name renamed)',
    change: 'ALTER TABLE users RENAME COLUMN display_name TO nickname',
    messages: ['users.display_name is missing (the worker needs text)'],
    repair: 'ALTER TABLE users RENAME COLUMN nickname TO display_name',
  },
  {
    name: 'a column of another type (ranks.season_id uuid)',
    change: 'ALTER TABLE ranks ALTER COLUMN season_id TYPE uuid USING md5(season_id)::uuid',
    messages: ['ranks.season_id is uuid (the worker needs text)'],
    repair: 'ALTER TABLE ranks ALTER COLUMN season_id TYPE text',
  },
  {
    name: 'a nullable column (moderation_signals.payload_json)',
    change: 'ALTER TABLE moderation_signals ALTER COLUMN payload_json DROP NOT NULL',
    messages: ['moderation_signals.payload_json allows NULL (the worker needs NOT NULL)'],
    repair: 'ALTER TABLE moderation_signals ALTER COLUMN payload_json SET NOT NULL',
  },
  {
    name: 'a missing unique index (idx_moderation_signals_detector_dedupe)',
    change: 'DROP INDEX idx_moderation_signals_detector_dedupe',
    messages: [
      "moderation_signals has no unique index on (subject_user_id, coalesce(match_id, '00000000-0000-0000-0000-000000000000'::uuid), coalesce(detector_key, ''), coalesce(detector_version, ''), reason_code) WHERE source = 'risk_engine' (production: idx_moderation_signals_detector_dedupe)",
    ],
    repair: `CREATE UNIQUE INDEX idx_moderation_signals_detector_dedupe ON moderation_signals (subject_user_id,
      coalesce(match_id, '00000000-0000-0000-0000-000000000000'::uuid), coalesce(detector_key, ''),
      coalesce(detector_version, ''), reason_code) WHERE source = 'risk_engine'`,
  },
  {
    name: 'two missing unique targets at once (the report dedupe index and the outbox dedupe key)',
    change: `DROP INDEX idx_moderation_signals_report_dedupe;
      ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_dedupe_key_key`,
    messages: [
      "moderation_signals has no unique index on (match_id, reporter_user_id, subject_user_id) WHERE source = 'player_report' AND reporter_user_id IS NOT NULL AND match_id IS NOT NULL (production: idx_moderation_signals_report_dedupe); ",
      'notification_outbox has no unique constraint on (dedupe_key) (production: notification_outbox_dedupe_key_key)',
    ],
    repair: `CREATE UNIQUE INDEX idx_moderation_signals_report_dedupe ON moderation_signals
        (match_id, reporter_user_id, subject_user_id)
        WHERE source = 'player_report' AND reporter_user_id IS NOT NULL AND match_id IS NOT NULL;
      ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_dedupe_key_key UNIQUE (dedupe_key)`,
  },
];

describe('worker migrations meeting an API table shaped otherwise than production', () => {
  it.each(DEVIATIONS)(
    'stop at $name with a message naming it, touch no API table, and leave the version dirty as golang-migrate would',
    async ({ change, messages, repair }) => {
      const database = await productionShaped('compat_shape');
      try {
        await runSql(database.url, change);
        const rows = await apiTableDigests(database.url);
        const shape = await apiSchemaShape(database.url);

        const failed = await migrate(database.url, 'up');
        expect(failed.code, failed.text).toBe(1);
        expect(failed.stderr).toContain(
          `moderation-worker migrate: migration ${shipped[0]} failed: the API's tables are not shaped as the moderation worker needs: `,
        );
        for (const message of messages) expect(failed.stderr).toContain(message);
        expect(failed.stderr).toContain("hint: apply the API's migrations up to version 53 first");
        expect(failed.stdout).toBe('');

        expect(await apiTableDigests(database.url)).toEqual(rows);
        expect(await apiSchemaShape(database.url)).toEqual(shape);
        expect(await apiSchemaVersion(database.url)).toEqual([[53, false]]);
        // golang-migrate marks the version dirty before running it; the failed SQL rolled back whole.
        expect(await workerVersion(database.url)).toEqual([[shipped[0], true]]);
        expect(await nonApiTables(database.url)).toEqual([WORKER_TABLE]);
        const refused = await migrateUp(database.url).catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(MigrationError);
        expect((refused as Error).message).toContain(`${WORKER_TABLE} version ${shipped[0]} is dirty`);

        // What the operator does (docs/deployment.md): bring the API's table to production's shape
        // (the API's own migrations), record that no worker migration is applied (`migrate force
        // none`; golang-migrate: `force -1`), and migrate again.
        await runSql(database.url, repair);
        await forceSchemaVersion(database.url, null);
        expect((await migrateUp(database.url)).applied).toEqual(shipped);
        expect(await workerVersion(database.url)).toEqual([[shipped.at(-1), false]]);
        expect(await apiSchemaVersion(database.url)).toEqual([[53, false]]);
      } finally {
        await database.drop();
      }
    },
  );
});
