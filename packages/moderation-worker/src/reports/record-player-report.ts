import type pg from 'pg';
import { queueSignalNotification } from '../notifications/queue-notification.js';
import {
  playerReportSignalType,
  REPORT_CATEGORY_RULES,
  REPORT_EVIDENCE_STRENGTH,
} from './report-category.js';
import {
  type InvalidReport,
  type PlayerReportInput,
  type ValidReport,
  validateReportInput,
} from './report-input.js';
import { DEFAULT_REPORT_RATE_LIMIT, type ReportRateLimit } from './report-rate-limit.js';
import {
  COUNT_REPORT_SQL,
  INSERT_PLAYER_REPORT_SQL,
  REPORT_CHECKS_SQL,
  SELECT_EXISTING_REPORT_SQL,
} from './report-sql.js';

/** Options of {@link recordPlayerReport}. */
export interface RecordReportOptions {
  /** Per-reporter limit; default {@link DEFAULT_REPORT_RATE_LIMIT}. */
  rateLimit?: ReportRateLimit;
  /** Clock of the rate-limit window; default the database's. */
  now?: () => Date;
}

/**
 * The outcome of {@link recordPlayerReport}; only `invalid` means nothing was stored. `signalId` is
 * the `moderation_signals.id` (a bigint) as decimal text.
 */
export type PlayerReportResult =
  | { status: 'recorded'; signalId: string }
  | { status: 'duplicate'; signalId: string }
  | InvalidReport;

/**
 * Validates a player report and stores it, as production records it, with its review notification
 * in one transaction; idempotent per (match, reporter, reported). Both players must have played the
 * match, and a reporter over the rate limit is refused. Throws only for database faults.
 */
export async function recordPlayerReport(
  pool: pg.Pool,
  input: PlayerReportInput,
  options: RecordReportOptions = {},
): Promise<PlayerReportResult> {
  const report = validateReportInput(input);
  if (report.status === 'invalid') return report;
  const refusal = await checkAgainstDatabase(pool, report);
  if (refusal !== null) return refusal;
  const limit = options.rateLimit ?? DEFAULT_REPORT_RATE_LIMIT;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await storeReport(client, report);
    if (result.status === 'recorded') {
      const counted = await client.query<{ reports: number }>(COUNT_REPORT_SQL, [
        report.reporterUserId,
        limit.windowMs,
        options.now?.() ?? null,
      ]);
      if ((counted.rows[0]?.reports ?? 0) > limit.maxReports) {
        // Nothing of this report stays: not the signal, not its notification, not the count.
        await client.query('ROLLBACK');
        return { status: 'invalid', field: 'reporterUserId', reason: 'rate_limited' };
      }
    }
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function checkAgainstDatabase(pool: pg.Pool, report: ValidReport): Promise<InvalidReport | null> {
  const checks = await pool.query<{
    match_exists: boolean;
    subject_played: boolean;
    reporter_exists: boolean;
    reporter_played: boolean;
  }>(REPORT_CHECKS_SQL, [report.matchId, report.reportedUserId, report.reporterUserId]);
  const row = checks.rows[0];
  if (!row?.match_exists) return { status: 'invalid', field: 'matchId', reason: 'unknown_match' };
  if (!row.subject_played) return { status: 'invalid', field: 'reportedUserId', reason: 'not_a_participant' };
  if (!row.reporter_exists) return { status: 'invalid', field: 'reporterUserId', reason: 'unknown_user' };
  // Production accepts reports only from the match's players: a stranger cannot report anyone.
  if (!row.reporter_played) {
    return { status: 'invalid', field: 'reporterUserId', reason: 'reporter_not_in_match' };
  }
  return null;
}

async function storeReport(client: pg.PoolClient, report: ValidReport): Promise<PlayerReportResult> {
  const rule = REPORT_CATEGORY_RULES[report.category];
  const payload =
    report.reason === null
      ? { category: report.category }
      : { category: report.category, reason: report.reason };
  // Twice at most: a conflicting report deleted between the insert and the look-up frees the key.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const inserted = await client.query<{ id: string }>(INSERT_PLAYER_REPORT_SQL, [
      report.reportedUserId,
      playerReportSignalType(report.category),
      rule.severity,
      REPORT_EVIDENCE_STRENGTH,
      report.category,
      rule.score,
      report.reporterUserId,
      report.matchId,
      payload,
    ]);
    const row = inserted.rows[0];
    if (row !== undefined) {
      await queueSignalNotification(client, row.id);
      return { status: 'recorded', signalId: row.id };
    }
    // A concurrent or earlier report won; READ COMMITTED lets this statement see its row.
    const existing = await client.query<{ id: string }>(SELECT_EXISTING_REPORT_SQL, [
      report.matchId,
      report.reporterUserId,
      report.reportedUserId,
    ]);
    if (existing.rows[0] !== undefined) return { status: 'duplicate', signalId: existing.rows[0].id };
  }
  throw new ReportConflictError();
}

/** The report's dedupe key stayed taken by a row that could not be read back, twice in a row. */
export class ReportConflictError extends Error {
  override readonly name = 'ReportConflictError';
  readonly code = 'report_conflict';
  constructor() {
    super('player report: the dedupe key is taken by a report that cannot be read back; retry');
  }
}
