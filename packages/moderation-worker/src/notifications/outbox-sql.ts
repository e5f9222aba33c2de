// Every statement the delivery loop runs against notification_outbox, parametrised. The table is
// shared by every notification type, so each statement names the type it may touch ($type) and
// never reads or changes another service's rows. Times come from the delivery's injected clock
// ($now as timestamptz) so one clock drives the schedule.

/**
 * Claims due rows of one type and leases them. $1 type, $2 now, $3 batch size, $4 lease (ms).
 * Returns id, payload_json and attempts (this attempt included). A dead letter (next attempt at
 * 'infinity') is never due.
 *
 * Oldest due first, `(next_attempt_at, id)` as production orders them (its pending index). SKIP
 * LOCKED lets replicas, and production's own worker, claim disjoint rows; attempts + 1 and the
 * lease in the same statement keep a row from being claimed again while its POST is in flight,
 * and return it to the pool if this replica dies. One statement, so no transaction stays open.
 */
export const CLAIM_DUE_ROWS_SQL = `
  WITH due AS (
    SELECT id FROM notification_outbox
    WHERE type = $1 AND sent_at IS NULL AND next_attempt_at <= $2
    ORDER BY next_attempt_at, id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
  )
  UPDATE notification_outbox AS o
  SET attempts = o.attempts + 1,
      next_attempt_at = $2::timestamptz + make_interval(secs => $4::double precision / 1000)
  FROM due WHERE o.id = due.id AND o.type = $1
  RETURNING o.id, o.payload_json, o.attempts`;

/** Records a delivery. $1 id, $2 type, $3 now. */
export const MARK_SENT_SQL = `
  UPDATE notification_outbox SET sent_at = $3, last_error = NULL
  WHERE id = $1 AND type = $2 AND sent_at IS NULL`;

/** Records a failed attempt and when to try again. $1 id, $2 type, $3 next attempt time, $4 error text. */
export const RESCHEDULE_SQL = `
  UPDATE notification_outbox SET next_attempt_at = $3, last_error = $4
  WHERE id = $1 AND type = $2 AND sent_at IS NULL`;

/**
 * Dead-letters a row whose last allowed attempt failed: kept, its next attempt put at 'infinity' so
 * no claim takes it again (a producer's re-arm, new content due now, revives it). $1 id, $2 type,
 * $3 error text.
 */
export const DEAD_LETTER_SQL = `
  UPDATE notification_outbox SET next_attempt_at = 'infinity', last_error = $3
  WHERE id = $1 AND type = $2 AND sent_at IS NULL`;

/**
 * Pending rows of one type that will still be attempted, the age (seconds) of the oldest, and the
 * dead letters. $1 type, $2 now.
 */
export const BACKLOG_STATS_SQL = `
  SELECT count(*) FILTER (WHERE next_attempt_at <> 'infinity')::int AS backlog,
         COALESCE(EXTRACT(EPOCH FROM (
           $2::timestamptz - min(created_at) FILTER (WHERE next_attempt_at <> 'infinity'))), 0)::float8
           AS oldest_seconds,
         count(*) FILTER (WHERE next_attempt_at = 'infinity')::int AS dead_letters
  FROM notification_outbox WHERE type = $1 AND sent_at IS NULL`;

/** The dead letters of one type, for \`check\`: how many, and the newest one's id and error. $1 type. */
export const DEAD_LETTERS_SQL = `
  SELECT count(*)::int AS n,
         (array_agg(id ORDER BY id DESC))[1]::text AS newest_id,
         (array_agg(last_error ORDER BY id DESC))[1] AS newest_error
  FROM notification_outbox WHERE type = $1 AND sent_at IS NULL AND next_attempt_at = 'infinity'`;
