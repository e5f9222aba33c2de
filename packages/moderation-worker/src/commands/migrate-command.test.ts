import { applyApiSchema, createTempDatabase, queryRows, type TempDatabase } from '@geoduels/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_TABLE } from '../db/migrate.js';
import { readMigrationFiles } from '../db/migration-files.js';
import { captureOutput } from '../test-support/output.js';
import { MIGRATE_THROUGH_PGBOUNCER_REFUSED, MIGRATE_USAGE, migrateCommand } from './migrate-command.js';

let temp: TempDatabase;
let shipped: number[];

beforeAll(async () => {
  temp = await createTempDatabase('migrate_cmd');
  await applyApiSchema(temp.url);
  shipped = (await readMigrationFiles()).map((file) => file.version);
});
afterAll(() => temp.drop());

async function migrate(argv: string[], env: NodeJS.ProcessEnv = { POSTGRES_URL: temp.url }) {
  const { out, output } = captureOutput();
  const code = await migrateCommand.run(argv, env, output);
  return { code, ...out };
}

describe('moderation-worker migrate', () => {
  it.each([
    [['up', '0'], 'up: "0" is not a positive whole number of migrations'],
    [['up', 'two'], 'up: "two" is not a positive whole number of migrations'],
    [['up', '--all'], 'up takes no "--all": without a count it already applies every pending migration'],
    [['up', '2', 'more'], 'up: unexpected argument "more"'],
    [['down', '0'], 'down: "0" is not a positive whole number of migrations (use "down --all"'],
    [['down', '1.5'], 'down: "1.5" is not a positive whole number of migrations'],
    [['down', '-all'], 'down: "-all" is not a positive whole number of migrations (use "down --all"'],
    [['down', 'all'], 'down: "all" is not a positive whole number of migrations'],
    [['down', '--all', '2'], 'down takes either --all or a count, not both (got "--all" and "2")'],
    [['down', '2', '--all'], 'down takes either --all or a count, not both (got "--all" and "2")'],
    [['down', '--all', '--all'], 'down: "--all" given twice'],
    [['down', '1', '2'], 'down: unexpected argument "2"'],
    [['status', 'now'], 'status: unexpected argument "now"'],
    [['force'], 'force needs a version: a whole number, or "none"'],
    [['force', '-1'], 'force: "-1" is not a version (a whole number, or "none" for no version'],
    [['force', 'latest'], 'force: "latest" is not a version'],
    [['force', '1', '2'], 'force: unexpected argument "2"'],
    [['sideways'], 'unknown migrate action "sideways" (expected up, down, status or force)'],
  ])(
    'refuses %j with a usage error naming what was wrong, before reading the environment',
    async (argv, message) => {
      const result = await migrate(argv, {});
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`moderation-worker migrate: ${message}`);
      expect(result.stderr).toContain(MIGRATE_USAGE);
      expect(result.stdout).toBe('');
    },
  );

  it("prints its usage, naming down --all and the worker's own version table", async () => {
    const result = await migrate(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(MIGRATE_USAGE);
    expect(MIGRATE_USAGE).toContain('down --all');
    expect(MIGRATE_USAGE).toContain(`${MIGRATIONS_TABLE}(version, dirty)`);
    expect(MIGRATE_USAGE).toContain("the API's schema_migrations is never read or written");
  });

  it('says which variable is missing when the arguments are valid but POSTGRES_URL is not set', async () => {
    const result = await migrate(['up'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invalid configuration: POSTGRES_URL/);
  });

  it.each([
    [['up'], 'up'],
    [['down', '1'], 'down'],
    [['down', '--all'], 'down'],
    [['force', '1'], 'force'],
  ])(
    'refuses %j with POSTGRES_PGBOUNCER=true, naming the direct URL to use, and touches nothing',
    async (argv, action) => {
      const result = await migrate(argv, { POSTGRES_URL: temp.url, POSTGRES_PGBOUNCER: 'true' });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `moderation-worker migrate: ${action}: ${MIGRATE_THROUGH_PGBOUNCER_REFUSED}`,
      );
      expect(MIGRATE_THROUGH_PGBOUNCER_REFUSED).toContain('POSTGRES_MIGRATE_URL');
      expect(MIGRATE_THROUGH_PGBOUNCER_REFUSED).toContain('POSTGRES_PGBOUNCER=false');
      expect(result.stdout).toBe('');
      const table = await queryRows(temp.url, 'SELECT to_regclass($1) AS t', [MIGRATIONS_TABLE]);
      expect(table).toEqual([{ t: null }]);
    },
  );

  it('reports its status through PgBouncer (one read, no session state)', async () => {
    const result = await migrate(['status'], { POSTGRES_URL: temp.url, POSTGRES_PGBOUNCER: 'true' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: null, dirty: false, pending: shipped });
  });

  it('names POSTGRES_PGBOUNCER when it is not a boolean', async () => {
    const result = await migrate(['up'], { POSTGRES_URL: temp.url, POSTGRES_PGBOUNCER: 'maybe' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'invalid configuration: POSTGRES_PGBOUNCER: must be true or false (got "maybe")',
    );
  });

  it('applies, reverts one, reverts all, reports and forces, printing each outcome as JSON', async () => {
    const latest = shipped.at(-1);
    const json = (text: string) => JSON.parse(text) as unknown;

    const up = await migrate(['up']);
    expect(up.code).toBe(0);
    expect(json(up.stdout)).toEqual({ action: 'up', from: null, to: latest, applied: shipped });

    const downOne = await migrate(['down', '1']);
    expect(json(downOne.stdout)).toEqual({
      action: 'down',
      from: latest,
      to: shipped.at(-2) ?? null,
      applied: [latest],
    });
    await migrate(['up']);

    const downAll = await migrate(['down', '--all']);
    expect(downAll.code).toBe(0);
    expect(json(downAll.stdout)).toEqual({
      action: 'down',
      from: latest,
      to: null,
      applied: [...shipped].reverse(),
    });

    const status = await migrate(['status']);
    expect(json(status.stdout)).toMatchObject({ version: null, dirty: false, pending: shipped });

    const force = await migrate(['force', String(latest)]);
    expect(json(force.stdout)).toEqual({ action: 'force', version: latest });
    expect(json((await migrate(['status'])).stdout)).toMatchObject({ version: latest, pending: [] });
    expect(json((await migrate(['force', 'none'])).stdout)).toEqual({ action: 'force', version: null });
    expect(json((await migrate(['status'])).stdout)).toMatchObject({ version: null });
  });
});
