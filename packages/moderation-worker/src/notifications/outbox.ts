import type pg from 'pg';
import { SIGNAL_QUEUED } from './outbox-payload.js';
import { BACKLOG_STATS_SQL, CLAIM_DUE_ROWS_SQL, MARK_SENT_SQL, RESCHEDULE_SQL } from './outbox-sql.js';

// The only notification type this worker reads or changes; other services' rows are never touched.
const OWN_TYPE = SIGNAL_QUEUED;

/** A leased outbox row of this worker's type; `attempts` already counts this attempt. */
export interface ClaimedRow {
  id: string;
  payload: unknown;
  attempts: number;
}

/** Pending notifications, for the backlog metrics. */
export interface BacklogStats {
  backlog: number;
  oldestPendingSeconds: number;
}

/** Claims up to `limit` due rows and leases them for `leaseMs`; no transaction stays open. */
export async function claimDueRows(
  pool: pg.Pool,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<ClaimedRow[]> {
  const result = await pool.query<{ id: string; payload_json: unknown; attempts: number }>(
    CLAIM_DUE_ROWS_SQL,
    [OWN_TYPE, now, limit, leaseMs],
  );
  return result.rows.map((row) => ({ id: row.id, payload: row.payload_json, attempts: row.attempts }));
}

/** Marks a row delivered. */
export async function markSent(pool: pg.Pool, id: string, now: Date): Promise<void> {
  await pool.query(MARK_SENT_SQL, [id, OWN_TYPE, now]);
}

/** Records a failed attempt with its error and the time of the next one. */
export async function reschedule(
  pool: pg.Pool,
  id: string,
  nextAttemptAt: Date,
  error: string,
): Promise<void> {
  await pool.query(RESCHEDULE_SQL, [id, OWN_TYPE, nextAttemptAt, error]);
}

/** Counts pending rows and measures the oldest one's age at `now`. */
export async function readBacklogStats(pool: pg.Pool, now: Date): Promise<BacklogStats> {
  const result = await pool.query<{ backlog: number; oldest_seconds: number }>(BACKLOG_STATS_SQL, [
    OWN_TYPE,
    now,
  ]);
  const row = result.rows[0];
  return { backlog: row?.backlog ?? 0, oldestPendingSeconds: Math.max(0, row?.oldest_seconds ?? 0) };
}
