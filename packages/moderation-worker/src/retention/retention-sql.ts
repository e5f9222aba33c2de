// Every statement of the retention job, parametrised. Each deletes a bounded batch of rows the
// worker owns, chosen with FOR UPDATE SKIP LOCKED, so replicas pruning at once take disjoint rows
// and never wait on each other or on a job (no advisory lock: PgBouncer's transaction pooling would
// not keep a session lock). Times come from the job's injected clock.

/**
 * Sent review notifications of the worker's own type, sent before $2. $1 type, $2 cutoff, $3 batch.
 * Only rows with `sent_at` set: a pending, failing or dead-lettered row is never deleted. The outer
 * predicate repeats the inner one, so a row re-armed by a producer in between (sent_at cleared) stays.
 */
export const PRUNE_SENT_NOTIFICATIONS_SQL = `
  DELETE FROM notification_outbox
  WHERE id IN (
    SELECT id FROM notification_outbox
    WHERE type = $1 AND sent_at IS NOT NULL AND sent_at < $2
    ORDER BY sent_at
    LIMIT $3
    FOR UPDATE SKIP LOCKED
  )
  AND type = $1 AND sent_at IS NOT NULL AND sent_at < $2`;

/**
 * Finished runs (`finished_at` set) that finished before $1. $1 cutoff, $2 batch. A deferred run
 * waits for its match and is never pruned, whatever its age.
 */
export const PRUNE_FINISHED_RUNS_SQL = `
  DELETE FROM risk_analysis_runs
  WHERE match_id IN (
    SELECT match_id FROM risk_analysis_runs
    WHERE finished_at IS NOT NULL AND finished_at < $1 AND status <> 'deferred'
    ORDER BY finished_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  )
  AND finished_at IS NOT NULL AND finished_at < $1 AND status <> 'deferred'`;

/** Report-quota rows whose window started before $1 (long over). $1 cutoff, $2 batch. */
export const PRUNE_REPORT_QUOTAS_SQL = `
  DELETE FROM moderation_worker_report_quota
  WHERE reporter_user_id IN (
    SELECT reporter_user_id FROM moderation_worker_report_quota
    WHERE window_started_at < $1
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  )
  AND window_started_at < $1`;
