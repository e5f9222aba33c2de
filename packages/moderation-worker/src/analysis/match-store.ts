// The match store: the one port through which the analysis flow reads a match's facts and records
// what became of the match, and the PostgreSQL statements behind it (match-io.ts assembles them,
// one statement per call or batched across jobs).
import type { RiskSignal } from '@geoduels/risk-client/signals';
import { type Database, statement } from '../db/pool.js';
import { SIGNAL_QUEUED } from '../notifications/outbox-payload.js';
import type { StoredSignalCount } from '../runtime/metrics.js';
import type { MatchFacts } from './facts.js';
import { ABANDON_RUN_SQL, STORE_ANALYSIS_SQL, UPSERT_RUN_SQL } from './match-store-sql.js';
import { collapseSignals } from './signal-merge.js';

/**
 * Told when the statement that serves a call starts, with how many matches it serves: a batched
 * store makes a call wait for a free slot first, and may run a failed batch's matches again alone
 * (then it is told again, with 1). For observers (tracing); the flow itself never passes one.
 */
export type StatementStarted = (batchSize: number) => void;

/** Everything the analysis flow reads and writes about a match. */
export interface MatchStore {
  /** The facts of a match, read at `now`. */
  loadFacts(matchId: string, now: Date, onStatement?: StatementStarted): Promise<MatchFacts>;
  /** The one atomic write of an analysed match (signals, outbox rows, run). */
  storeAnalysis(analysis: AnalysisToStore, onStatement?: StatementStarted): Promise<StoredAnalysis>;
  /** Records a run that stored nothing (skipped, deferred, rejected, unstorable); an analysed run is kept. */
  recordRun(record: RunRecord): Promise<RunState>;
  /** Turns a deferred run into an abandoned one; false when it was no longer deferred. */
  abandonRun(matchId: string, reason: string, now: Date): Promise<boolean>;
}

/** Statuses of `risk_analysis_runs`. */
export const RUN_STATUSES = [
  'analyzed',
  'skipped_disabled',
  'skipped_no_facts',
  'deferred',
  'abandoned',
  'rejected',
  'unstorable',
  'skipped_invalid_request',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Review notifications one analysed match writes at most before the rest become one summary row. */
export const DEFAULT_MAX_NOTIFICATIONS_PER_MATCH = 5;

/** A successful analysis to persist. */
export interface AnalysisToStore {
  matchId: string;
  detectorVersion: string;
  signals: readonly RiskSignal[];
  now: Date;
}

/** What the write transaction did. */
export interface StoredAnalysis {
  /** Distinct signal rows inserted or merged. */
  signalCount: number;
  /**
   * Review notifications written: rows inserted, or re-armed because the signal's review payload
   * changed (a redelivered, identical analysis writes none).
   */
  outboxInserted: number;
  /** The signals written, counted by detector key and severity as stored (after the merge). */
  storedSignals: StoredSignalCount[];
}

/** A run outcome that stores no signals. */
export interface RunRecord {
  matchId: string;
  status: Exclude<RunStatus, 'analyzed' | 'abandoned'>;
  lastFailure: string | null;
  now: Date;
}

/**
 * The run row after a write: how many times the match was processed, since when, and its status. A
 * run that reached `analyzed` keeps it (UPSERT_RUN_SQL's guard): then `status` is `analyzed` whatever
 * was recorded, and the row is otherwise unchanged.
 */
export interface RunState {
  attempts: number;
  firstSeenAt: Date;
  status: RunStatus;
}

const MAX_FAILURE_TEXT = 500;

/** One analysed match as STORE_ANALYSIS_SQL reads it (JSON; the signals keep their RiskSignal keys). */
interface StoredMatchJson {
  matchId: string;
  detectorVersion: string;
  at: Date;
  signals: readonly RiskSignal[];
}

/**
 * The write of several analysed matches as one statement (so one round trip and one commit, no
 * BEGIN/COMMIT): they all commit or none does. One result per analysis, in order. The matches must
 * be distinct: a statement may update a run row only once. They are written in match-id order
 * whatever order they came in, so two replicas writing the same matches take their row locks in
 * the same order and cannot deadlock on them. Each match writes at most `maxNotificationsPerMatch`
 * review notifications, then one summary row for the rest.
 */
export async function storeAnalyses(
  db: Database,
  analyses: readonly AnalysisToStore[],
  maxNotificationsPerMatch = DEFAULT_MAX_NOTIFICATIONS_PER_MATCH,
): Promise<StoredAnalysis[]> {
  const matches: StoredMatchJson[] = inWriteOrder(analyses).map((a) => ({
    matchId: a.matchId,
    detectorVersion: a.detectorVersion,
    at: a.now,
    signals: collapseSignals(a.signals),
  }));
  const result = await db.pool.query<{
    match_id: string;
    signal_count: number;
    outbox_inserted: number;
    stored_signals: StoredSignalCount[];
  }>(
    statement(db, 'moderation_store_analysis', STORE_ANALYSIS_SQL, [
      JSON.stringify(matches),
      SIGNAL_QUEUED,
      maxNotificationsPerMatch,
    ]),
  );
  const rows = new Map(result.rows.map((row) => [row.match_id, row]));
  return analyses.map((a) => {
    const row = rows.get(a.matchId.toLowerCase());
    // The run upsert returns every match it was given; a missing one is a bug, not a data problem.
    if (row === undefined) throw new Error(`store statement returned no run row for match ${a.matchId}`);
    return {
      signalCount: row.signal_count,
      outboxInserted: row.outbox_inserted,
      storedSignals: row.stored_signals,
    };
  });
}

/** The analyses of one write sorted by match id (the lock order every writer shares). */
export function inWriteOrder(analyses: readonly AnalysisToStore[]): AnalysisToStore[] {
  return [...analyses].sort((a, b) => compareIds(a.matchId.toLowerCase(), b.matchId.toLowerCase()));
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Records a run that stored nothing (skipped, deferred, rejected, unstorable); one statement. A run
 * already `analyzed` is left as it is (see RunState).
 */
export async function recordRun(db: Database, record: RunRecord): Promise<RunState> {
  const finished = record.status !== 'deferred';
  const result = await db.pool.query<{ attempts: number; first_seen_at: Date; status: RunStatus }>(
    statement(db, 'moderation_upsert_run', UPSERT_RUN_SQL, [
      record.matchId,
      record.status,
      record.lastFailure?.slice(0, MAX_FAILURE_TEXT) ?? null,
      null,
      null,
      record.now,
      finished,
    ]),
  );
  const row = result.rows[0];
  // No row: the guard kept a run that another transaction had just analysed (UPSERT_RUN_SQL).
  if (row === undefined) return { attempts: 0, firstSeenAt: record.now, status: 'analyzed' };
  return { attempts: row.attempts, firstSeenAt: row.first_seen_at, status: row.status };
}

/** Turns a deferred run into an abandoned one; false when it was no longer deferred. */
export async function abandonRun(db: Database, matchId: string, reason: string, now: Date): Promise<boolean> {
  const result = await db.pool.query(
    statement(db, 'moderation_abandon_run', ABANDON_RUN_SQL, [matchId, reason, now]),
  );
  return (result.rowCount ?? 0) > 0;
}
