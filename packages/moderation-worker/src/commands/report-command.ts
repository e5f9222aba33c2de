import pg from 'pg';
import { postgresUrlFromEnv, reportRateLimitFromEnv } from '../config.js';
import { recordPlayerReport } from '../reports/record-player-report.js';
import { REPORT_CATEGORIES } from '../reports/report-category.js';
import { describeReportRejection, MAX_REPORT_REASON_LENGTH } from '../reports/report-input.js';
import { defineCommand, EXIT, failure, parseCommandArgs, readConfig, usageError } from './command-io.js';

/** Usage text of `moderation-worker report`. */
export const REPORT_USAGE = `Usage: moderation-worker report --match <uuid> --reporter <uuid> --reported <uuid> --category <c> [--reason <text>]

Records a player report (as the game API does) and queues its review notification.
  --match      the ranked match the report is about
  --reporter   the player filing the report (must have played in the match)
  --reported   the player being reported (must have played in the match)
  --category   one of: ${REPORT_CATEGORIES.join(', ')} (case-insensitive); anything else is recorded as other
  --reason     optional free text, at most ${MAX_REPORT_REASON_LENGTH} characters; control and
               bidirectional-override characters are removed
Environment: POSTGRES_URL (required), MODERATION_REPORT_RATE_LIMIT (default 10) reports per reporter per
MODERATION_REPORT_RATE_WINDOW (default 1h).
Prints one JSON line; a refusal also names its reason on stderr.
Exit 0 recorded or duplicate, 2 invalid input or refused, 1 database failure.
`;

const OPTIONS = {
  match: { type: 'string' },
  reporter: { type: 'string' },
  reported: { type: 'string' },
  category: { type: 'string' },
  reason: { type: 'string' },
} as const;

const REQUIRED = ['match', 'reporter', 'reported', 'category'] as const;

/** Bound on connecting to PostgreSQL and on each statement of `report`. */
export const REPORT_DATABASE_TIMEOUT_MS = 5_000;

/** `moderation-worker report`: exit 0 recorded or duplicate, 2 invalid input, 1 database failure. */
export const reportCommand = defineCommand({
  name: 'report',
  synopsis: '...',
  summary: 'record a player report',
  usage: REPORT_USAGE,
  run: async (argv, env, io) => {
    // The bin passes what follows `report`; a leading `report` is tolerated for direct callers.
    const args = argv[0] === 'report' ? argv.slice(1) : argv;
    const parsed = parseCommandArgs({ args, options: OPTIONS });
    if (parsed instanceof Error) return usageError(io, parsed.message, REPORT_USAGE);
    const { values } = parsed;
    const missing = REQUIRED.filter((name) => values[name] === undefined);
    if (missing.length > 0)
      return usageError(io, `missing ${missing.map((name) => `--${name}`).join(', ')}`, REPORT_USAGE);
    // This command has always worded an unset URL so; a malformed one is reported as by every command.
    if (!env.POSTGRES_URL?.trim()) return usageError(io, 'POSTGRES_URL is not set');
    const config = readConfig(io, () => ({
      url: postgresUrlFromEnv(env),
      rateLimit: reportRateLimitFromEnv(env),
    }));
    if (typeof config === 'number') return config;
    const { url, rateLimit } = config;

    // Bounded like every operator command: a PostgreSQL that accepts and never answers fails in seconds.
    const pool = new pg.Pool({
      connectionString: url,
      max: 1,
      connectionTimeoutMillis: REPORT_DATABASE_TIMEOUT_MS,
      query_timeout: REPORT_DATABASE_TIMEOUT_MS,
    });
    try {
      const result = await recordPlayerReport(
        pool,
        {
          matchId: values.match!,
          reporterUserId: values.reporter!,
          reportedUserId: values.reported!,
          category: values.category!,
          reason: values.reason ?? null,
        },
        { rateLimit },
      );
      io.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.status !== 'invalid') return EXIT.ok;
      return usageError(io, `report refused (${result.reason}): ${describeReportRejection(result)}`);
    } catch (error) {
      // pg errors name the host at most; the connection string (and its password) is never echoed.
      const code = (error as { code?: string }).code;
      return failure(
        io,
        `report failed: database error${code ? ` (${code})` : ''}: ${(error as Error).message}`,
      );
    } finally {
      await pool.end();
    }
  },
});
