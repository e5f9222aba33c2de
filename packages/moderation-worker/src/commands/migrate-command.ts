import { postgresUrlFromEnv } from '../config.js';
import {
  forceSchemaVersion,
  MigrationError,
  migrateDown,
  migrateUp,
  migrationStatus,
} from '../db/migrate.js';
import { parseMigrateArgs } from './migrate-args.js';
import { type CommandIo, configErrorMessage, EXIT, usageError } from './output.js';

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
transaction under an advisory lock. Environment: POSTGRES_URL (required).
`;

/** Runs `migrate ...`; argv is what follows `migrate`. */
export async function migrateCommand(argv: string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  const [action] = argv;
  if (action === undefined || action === '--help' || action === '-h') {
    io.stdout.write(MIGRATE_USAGE);
    return action === undefined ? EXIT.usage : EXIT.ok;
  }
  const args = parseMigrateArgs(argv);
  if (args instanceof Error) return usageError(io, args.message, MIGRATE_USAGE);
  let url: string;
  try {
    url = postgresUrlFromEnv(env);
  } catch (error) {
    const message = configErrorMessage(error);
    if (message === null) throw error;
    return usageError(io, `invalid configuration: ${message}`);
  }
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
    io.stderr.write(`moderation-worker migrate: ${error.message}\n`);
    return EXIT.failure;
  }
}
