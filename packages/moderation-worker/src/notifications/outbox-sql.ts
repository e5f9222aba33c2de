// Every statement the delivery loop runs against notification_outbox, parametrised. Times come
// from the delivery's injected clock ($now as timestamptz) so one clock drives the schedule.

/**
 * $1 now, $2 batch size, $3 lease (ms): claims due rows and leases them by pushing
 * next_attempt_at forward, in one statement (one short transaction). SKIP LOCKED lets replicas
 * claim disjoint rows; the lease keeps a row from being claimed again while its POST is in flight,
 * and returns it to the pool if this replica dies.
 */
export const CLAIM_DUE_ROWS = `
  WITH due AS (
    SELECT id FROM notification_outbox
    WHERE sent_at IS NULL AND next_attempt_at <= $1
    ORDER BY next_attempt_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  )
  UPDATE notification_outbox AS o
  SET next_attempt_at = $1::timestamptz + make_interval(secs => $3::double precision / 1000)
  FROM due WHERE o.id = due.id
  RETURNING o.id, o.type, o.payload_json, o.attempts`;

/** $1 id, $2 now: records a delivery. */
export const MARK_SENT = `
  UPDATE notification_outbox SET sent_at = $2, attempts = attempts + 1, last_error = NULL
  WHERE id = $1 AND sent_at IS NULL`;

/** $1 id, $2 next attempt time, $3 error text: records a failed attempt and when to retry. */
export const RESCHEDULE = `
  UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3
  WHERE id = $1 AND sent_at IS NULL`;

/** $1 now: pending row count and the age (seconds) of the oldest pending row. */
export const BACKLOG_STATS = `
  SELECT count(*)::int AS backlog,
         COALESCE(EXTRACT(EPOCH FROM ($1::timestamptz - min(created_at))), 0)::float8 AS oldest_seconds
  FROM notification_outbox WHERE sent_at IS NULL`;
