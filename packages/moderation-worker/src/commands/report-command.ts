import { parseArgs } from 'node:util';
import pg from 'pg';
import { recordPlayerReport } from '../reports/record-player-report.js';
import { REPORT_CATEGORIES } from '../reports/report-category.js';
import { MAX_REPORT_REASON_LENGTH } from '../reports/report-input.js';

/** Where the command writes; defaults to the process streams. */
export interface CommandOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Exit codes of `moderation-worker report`. */
export const REPORT_EXIT = { ok: 0, failure: 1, invalid: 2 } as const;

/** Usage text of `moderation-worker report`. */
export const REPORT_USAGE = `Usage: moderation-worker report --match <uuid> --reporter <uuid> --reported <uuid> --category <c> [--reason <text>]

Records a player report (as the game API does) and queues its review notification.
  --match      the ranked match the report is about
  --reporter   the player filing the report (must be a known user)
  --reported   the player being reported (must have played in the match)
  --category   one of: ${REPORT_CATEGORIES.join(', ')} (case-insensitive); anything else is recorded as other
  --reason     optional free text, at most ${MAX_REPORT_REASON_LENGTH} characters
Environment: POSTGRES_URL (required).
Prints one JSON line. Exit 0 recorded or duplicate, 2 invalid input, 1 database failure.
`;

const OPTIONS = {
  match: { type: 'string' },
  reporter: { type: 'string' },
  reported: { type: 'string' },
  category: { type: 'string' },
  reason: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const REQUIRED = ['match', 'reporter', 'reported', 'category'] as const;

/**
 * Runs `moderation-worker report ...` (argv is what follows `report`) and returns the exit code;
 * never calls process.exit, so the CLI and tests share it.
 */
export async function runReportCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  output: CommandOutput = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const parsed = parseReportArgs(argv);
  if (parsed instanceof Error) return usageError(output, parsed.message);
  const values = parsed;
  if (values.help) {
    output.stdout.write(REPORT_USAGE);
    return REPORT_EXIT.ok;
  }
  const missing = REQUIRED.filter((name) => values[name] === undefined);
  if (missing.length > 0)
    return usageError(output, `missing ${missing.map((name) => `--${name}`).join(', ')}`);
  const url = env.POSTGRES_URL?.trim();
  if (!url) return usageError(output, 'POSTGRES_URL is not set');

  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const result = await recordPlayerReport(pool, {
      matchId: values.match!,
      reporterUserId: values.reporter!,
      reportedUserId: values.reported!,
      category: values.category!,
      reason: values.reason ?? null,
    });
    output.stdout.write(`${JSON.stringify(result)}\n`);
    return result.status === 'invalid' ? REPORT_EXIT.invalid : REPORT_EXIT.ok;
  } catch (error) {
    // pg errors name the host at most; the connection string (and its password) is never echoed.
    const code = (error as { code?: string }).code;
    output.stderr.write(
      `report failed: database error${code ? ` (${code})` : ''}: ${(error as Error).message}\n`,
    );
    return REPORT_EXIT.failure;
  } finally {
    await pool.end();
  }
}

function parseReportArgs(argv: string[]) {
  try {
    const args = argv[0] === 'report' ? argv.slice(1) : argv;
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return error as Error;
  }
}

function usageError(output: CommandOutput, message: string): number {
  output.stderr.write(`moderation-worker report: ${message}\n\n${REPORT_USAGE}`);
  return REPORT_EXIT.invalid;
}
