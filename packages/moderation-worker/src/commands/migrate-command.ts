import { postgresUrlFromEnv } from '../config.js';
import { forceSchemaVersion, migrateDown, migrateUp, migrationStatus } from '../db/migrate.js';
import { MigrationError } from '../errors.js';
import { type CommandOutput, defineCommand, EXIT, failure, readConfig, usageError } from './command-io.js';

/** Usage of `moderation-worker migrate`. */
export const MIGRATE_USAGE = `Usage: moderation-worker migrate up [n] | down [n] | status | force <version>

  up [n]           apply all pending migrations (or the next n)
  down [n]         revert the last n applied migrations (default 1)
  status           print the current version, dirty flag, required and pending versions as JSON
  force <version>  record <version> as applied and clear the dirty flag after a manual repair
                   ("none" for an empty schema)
Migrations are golang-migrate compatible (schema_migrations(version, dirty)); each runs in a
transaction under an advisory lock. Environment: POSTGRES_URL (required).
`;

/** `moderation-worker migrate up [n] | down [n] | status | force <version>`: one JSON line. */
export const migrateCommand = defineCommand({
  name: 'migrate',
  synopsis: 'up|down [n]|status|force',
  summary: "apply or inspect this project's database migrations",
  usage: MIGRATE_USAGE,
  run: migrate,
});

/** Runs `migrate ...`; argv is what follows `migrate`. */
async function migrate(argv: string[], env: NodeJS.ProcessEnv, io: CommandOutput): Promise<number> {
  const [action, arg, ...extra] = argv;
  if (action === undefined || action === '--help' || action === '-h') {
    io.stdout.write(MIGRATE_USAGE);
    return action === undefined ? EXIT.usage : EXIT.ok;
  }
  if (extra.length > 0) return usageError(io, `unexpected argument "${extra[0]}"`, MIGRATE_USAGE);
  const url = readConfig(io, () => postgresUrlFromEnv(env));
  if (typeof url === 'number') return url;
  try {
    switch (action) {
      case 'up':
      case 'down': {
        const steps = parseSteps(arg);
        if (steps === null) return usageError(io, `"${arg}" is not a positive whole number`, MIGRATE_USAGE);
        const run =
          action === 'up' ? await migrateUp(url, { steps }) : await migrateDown(url, { steps: steps ?? 1 });
        io.stdout.write(`${JSON.stringify({ action, ...run })}\n`);
        return EXIT.ok;
      }
      case 'status':
        if (arg !== undefined) return usageError(io, `unexpected argument "${arg}"`, MIGRATE_USAGE);
        io.stdout.write(`${JSON.stringify(await migrationStatus(url))}\n`);
        return EXIT.ok;
      case 'force': {
        const version = arg === 'none' ? null : Number(arg);
        if (arg === undefined || (version !== null && !Number.isSafeInteger(version))) {
          return usageError(io, 'force needs a version number or "none"', MIGRATE_USAGE);
        }
        await forceSchemaVersion(url, version);
        io.stdout.write(`${JSON.stringify({ action, version })}\n`);
        return EXIT.ok;
      }
      default:
        return usageError(io, `unknown migrate action "${action}"`, MIGRATE_USAGE);
    }
  } catch (error) {
    if (!(error instanceof MigrationError)) throw error;
    return failure(io, error.message);
  }
}

function parseSteps(arg: string | undefined): number | undefined | null {
  if (arg === undefined) return undefined;
  return /^[1-9]\d*$/.test(arg) ? Number(arg) : null;
}
