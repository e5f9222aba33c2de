import type pg from 'pg';
import { type QueuedSignalPayload, SIGNAL_QUEUED, signalDedupeKey } from '../notifications/outbox-payload.js';
import { REPORT_CATEGORY_RULES, REPORT_EVIDENCE_STRENGTH, type ReportCategory } from './report-category.js';
import {
  type InvalidReport,
  type PlayerReportInput,
  type ValidReport,
  validateReportInput,
} from './report-input.js';
import {
  INSERT_OUTBOX_ROW,
  INSERT_PLAYER_REPORT,
  SELECT_EXISTING_REPORT,
  SELECT_MATCH_EXISTS,
  SELECT_PARTICIPANT,
} from './report-sql.js';

/** Signal type stored for every player report. */
export const PLAYER_REPORT_SIGNAL_TYPE = 'player_report';

/** The outcome of {@link recordPlayerReport}; only `invalid` means nothing was stored. */
export type PlayerReportResult =
  | { status: 'recorded'; signalId: string }
  | { status: 'duplicate'; signalId: string }
  | InvalidReport;

/** Reason code stored for a report of a category, e.g. `player_report_cheating`. */
export function playerReportReasonCode(category: ReportCategory): string {
  return `player_report_${category}`;
}

/**
 * Validates a player report and stores it with its review notification in one transaction;
 * idempotent per (match, reporter, reported). Throws only for database faults.
 */
export async function recordPlayerReport(
  pool: pg.Pool,
  input: PlayerReportInput,
): Promise<PlayerReportResult> {
  const report = validateReportInput(input);
  if (report.status === 'invalid') return report;
  const match = await pool.query(SELECT_MATCH_EXISTS, [report.matchId]);
  if (match.rowCount === 0) return { status: 'invalid', field: 'matchId', reason: 'unknown_match' };
  const participant = await pool.query(SELECT_PARTICIPANT, [report.matchId, report.reportedUserId]);
  if (participant.rowCount === 0) {
    return { status: 'invalid', field: 'reportedUserId', reason: 'not_a_participant' };
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await storeReport(client, report);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function storeReport(client: pg.PoolClient, report: ValidReport): Promise<PlayerReportResult> {
  const rule = REPORT_CATEGORY_RULES[report.category];
  const reasonCode = playerReportReasonCode(report.category);
  const inserted = await client.query<{ id: string; occurred_at: Date }>(INSERT_PLAYER_REPORT, [
    report.reportedUserId,
    PLAYER_REPORT_SIGNAL_TYPE,
    rule.severity,
    REPORT_EVIDENCE_STRENGTH,
    reasonCode,
    rule.score,
    report.reporterUserId,
    report.matchId,
    { category: report.category, reason: report.reason },
  ]);
  const row = inserted.rows[0];
  if (row === undefined) {
    // A concurrent or earlier report won; READ COMMITTED lets this statement see its row.
    const existing = await client.query<{ id: string }>(SELECT_EXISTING_REPORT, [
      report.matchId,
      report.reporterUserId,
      report.reportedUserId,
    ]);
    return { status: 'duplicate', signalId: existing.rows[0]!.id };
  }
  const payload: QueuedSignalPayload = {
    signalId: row.id,
    source: 'player_report',
    subjectUserId: report.reportedUserId,
    matchId: report.matchId,
    reporterUserId: report.reporterUserId,
    signalType: PLAYER_REPORT_SIGNAL_TYPE,
    severity: rule.severity,
    evidenceStrength: REPORT_EVIDENCE_STRENGTH,
    reasonCode,
    detectorKey: null,
    score: rule.score,
    occurredAt: row.occurred_at.toISOString(),
  };
  await client.query(INSERT_OUTBOX_ROW, [SIGNAL_QUEUED, signalDedupeKey(row.id), payload]);
  return { status: 'recorded', signalId: row.id };
}
