import { describe, expect, it } from 'vitest';
import { queryRows, runSql } from './run-sql.js';
import { PG_ADMIN_URL } from './temp-database.js';
import { MigrateCommandError, migrateWithCli } from './worker-cli.js';
import { createWorkerDatabase } from './worker-database.js';

const tableExists = async (url: string, table: string) =>
  (await queryRows<{ found: string | null }>(url, 'SELECT to_regclass($1)::text AS found', [table]))[0]
    ?.found === table;

describe('worker databases', () => {
  it('applies the API schema first, then hands the new database to the migrations', async () => {
    let sawUsers: boolean | undefined;
    const temp = await createWorkerDatabase('ts_worker_db', {
      migrate: async (url) => {
        sawUsers = await tableExists(url, 'users');
        await runSql(url, 'CREATE TABLE migrated_marker (n int)');
      },
    });
    try {
      expect(sawUsers).toBe(true);
      expect(await tableExists(temp.url, 'moderation_signals')).toBe(true);
      expect(await tableExists(temp.url, 'migrated_marker')).toBe(true);
    } finally {
      await temp.drop();
    }
  });

  it('drops the database again when the migrations fail, and passes their error on', async () => {
    let name = '';
    const failure = createWorkerDatabase('ts_worker_db_fail', {
      migrate: async (url) => {
        name = new URL(url).pathname.slice(1);
        throw new Error('migration refused');
      },
    });
    await expect(failure).rejects.toThrow('migration refused');
    const left = await queryRows(PG_ADMIN_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    expect(name).not.toBe('');
    expect(left).toEqual([]);
  });

  it("migrates through the worker's own `migrate up` command", async () => {
    const temp = await createWorkerDatabase('ts_worker_db_cli', { migrate: migrateWithCli });
    try {
      expect(await tableExists(temp.url, 'risk_analysis_runs')).toBe(true);
    } finally {
      await temp.drop();
    }
  });

  it('reports a failed `migrate up` as a MigrateCommandError with its exit and output', async () => {
    const failure = await migrateWithCli('postgres://postgres@127.0.0.1:1/nowhere').catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(MigrateCommandError);
    expect(failure).toMatchObject({ code: 'MIGRATE_COMMAND_FAILED' });
    expect((failure as MigrateCommandError).exit.code).not.toBe(0);
    expect((failure as MigrateCommandError).output).not.toBe('');
  });
});
