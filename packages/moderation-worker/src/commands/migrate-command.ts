import { postgresPgbouncerFromEnv, postgresUrlFromEnv } from '../config.js';
import { forceSchemaVersion, migrateDown, migrateUp, migrationStatus } from '../db/migrate.js';
import { MigrationError } from '../errors.js';
import { type CommandOutput, defineCommand, EXIT, failure, readConfig, usageError } from './command-io.js';
import { parseMigrateArgs } from './migrate-args.js';

/** Usage of `moderation-worker migrate`. */
export const MIGRATE_USAGE = `Usage: moderation-worker migrate up [n] | down [n] | down --all | status | force <version>

  up [n]           apply all pending migrations (or the next n)
  down [n]         revert the last n applied migrations (default 1)
  down --all       revert every applied migration of this project (drops the worker's own tables)
  status           print the current version, dirty flag, required and pending versions as JSON
  force <version>  record <version> as applied and clear the dirty flag after a manual repair
                   ("none" for no version)
The version is recorded in the worker's own table, moderation_worker_schema_migrations(version, dirty),
golang-migrate's layout; the API's schema_migrations is never read or written. Each migration runs in a
transaction under a session advisory lock, so up, down and force need PostgreSQL's own address, never
PgBouncer's (transaction pooling does not keep a session): they refuse to run with POSTGRES_PGBOUNCER=true.
Environment: POSTGRES_URL (required; the direct address, e.g. the migrate Job's POSTGRES_MIGRATE_URL),
POSTGRES_PGBOUNCER.
`;

/**
 * Why up, down and force refuse POSTGRES_PGBOUNCER=true. The lock is taken in one statement and held
 * across the migration's transactions; PgBouncer in transaction pooling may run each on another
 * server session, so the lock would exclude nothing and stay behind on a pooled session.
 */
export const MIGRATE_THROUGH_PGBOUNCER_REFUSED =
  'POSTGRES_PGBOUNCER=true says POSTGRES_URL goes through PgBouncer, and migrations need a direct ' +
  'connection: the migrator holds a session advisory lock across transactions, which transaction ' +
  "pooling does not keep. Set POSTGRES_URL to PostgreSQL's own address (the migrate Job takes it from " +
  'POSTGRES_MIGRATE_URL) and POSTGRES_PGBOUNCER=false; "migrate status" alone works through PgBouncer';

/** `moderation-worker migrate up [n] | down [n] | down --all | status | force <version>`: one JSON line. */
export const migrateCommand = defineCommand({
  name: 'migrate',
  synopsis: 'up|down [n|--all]|status|force',
  summary: "apply or inspect this project's database migrations",
  usage: MIGRATE_USAGE,
  run: migrate,
});

/** Runs `migrate ...`; argv is what follows `migrate`. */
async function migrate(argv: string[], env: NodeJS.ProcessEnv, io: CommandOutput): Promise<number> {
  const [action] = argv;
  if (action === undefined || action === '--help' || action === '-h') {
    io.stdout.write(MIGRATE_USAGE);
    return action === undefined ? EXIT.usage : EXIT.ok;
  }
  const args = parseMigrateArgs(argv);
  if (args instanceof Error) return usageError(io, args.message, MIGRATE_USAGE);
  const config = readConfig(io, () => ({
    url: postgresUrlFromEnv(env),
    pgbouncer: postgresPgbouncerFromEnv(env),
  }));
  if (typeof config === 'number') return config;
  if (config.pgbouncer && args.action !== 'status') {
    return usageError(io, `${args.action}: ${MIGRATE_THROUGH_PGBOUNCER_REFUSED}`);
  }
  const { url } = config;
  try {
    switch (args.action) {
      case 'up': {
        const run = await migrateUp(url, { steps: args.steps });
        io.stdout.write(`${JSON.stringify({ action: args.action, ...run })}\n`);
        return EXIT.ok;
      }
      case 'down': {
        const run = await migrateDown(url, 'all' in args ? { all: true } : { steps: args.steps });
        io.stdout.write(`${JSON.stringify({ action: args.action, ...run })}\n`);
        return EXIT.ok;
      }
      case 'status':
        io.stdout.write(`${JSON.stringify(await migrationStatus(url))}\n`);
        return EXIT.ok;
      case 'force':
        await forceSchemaVersion(url, args.version);
        io.stdout.write(`${JSON.stringify({ action: args.action, version: args.version })}\n`);
        return EXIT.ok;
    }
  } catch (error) {
    if (!(error instanceof MigrationError)) throw error;
    return failure(io, error.message);
  }
}
