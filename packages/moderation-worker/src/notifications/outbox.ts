import type pg from 'pg';
import { SIGNAL_QUEUED } from './outbox-payload.js';
import {
  BACKLOG_STATS_SQL,
  CLAIM_DUE_ROWS_SQL,
  DEAD_LETTER_SQL,
  DEAD_LETTERS_SQL,
  MARK_SENT_SQL,
  RESCHEDULE_SQL,
} from './outbox-sql.js';

// The only notification type this worker reads or changes; other services' rows are never touched.
const OWN_TYPE = SIGNAL_QUEUED;

/**
 * Delivery attempts a notification gets (MODERATION_NOTIFY_MAX_ATTEMPTS); after a failed attempt
 * that reached it, it is dead-lettered: kept in the outbox, never claimed again, counted. 20 attempts
 * span about two and a half hours of the backoff, or 19 days for an unparseable payload.
 */
export const DEFAULT_MAX_ATTEMPTS = 20;

/** A leased outbox row of this worker's type; `attempts` already counts this attempt. */
export interface ClaimedRow {
  id: string;
  payload: unknown;
  attempts: number;
}

/** Pending notifications, for the backlog metrics; dead letters are counted apart. */
export interface BacklogStats {
  backlog: number;
  oldestPendingSeconds: number;
  deadLetters: number;
}

/** The dead-lettered notifications, as `check` shows them. */
export interface DeadLetters {
  count: number;
  newestId: string | null;
  newestError: string | null;
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

/** Dead-letters a row: kept with its error, never claimed again. */
export async function deadLetter(pool: pg.Pool, id: string, error: string): Promise<void> {
  await pool.query(DEAD_LETTER_SQL, [id, OWN_TYPE, error]);
}

/** Counts pending rows and dead letters, and measures the oldest pending row's age at `now`. */
export async function readBacklogStats(pool: pg.Pool, now: Date): Promise<BacklogStats> {
  const result = await pool.query<{ backlog: number; oldest_seconds: number; dead_letters: number }>(
    BACKLOG_STATS_SQL,
    [OWN_TYPE, now],
  );
  const row = result.rows[0];
  return {
    backlog: row?.backlog ?? 0,
    oldestPendingSeconds: Math.max(0, row?.oldest_seconds ?? 0),
    deadLetters: row?.dead_letters ?? 0,
  };
}

/** Counts the dead letters of this worker's type and returns the newest one's id and error. */
export async function readDeadLetters(db: Pick<pg.Pool, 'query'>): Promise<DeadLetters> {
  const result = await db.query<{ n: number; newest_id: string | null; newest_error: string | null }>(
    DEAD_LETTERS_SQL,
    [OWN_TYPE],
  );
  const row = result.rows[0];
  return { count: row?.n ?? 0, newestId: row?.newest_id ?? null, newestError: row?.newest_error ?? null };
}
