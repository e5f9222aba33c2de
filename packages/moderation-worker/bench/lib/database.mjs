// The benchmark's own database between phases (created by worker-bench.mjs through
// @geoduels/test-support's createWorkerDatabase: the API schema, then `moderation-worker migrate up`).

/** Empties the tables the worker writes, so every phase starts from the same state. */
export async function resetModerationTables(pool) {
  await pool.query('TRUNCATE moderation_signals, notification_outbox, risk_analysis_runs');
  await pool.query('VACUUM ANALYZE moderation_signals, notification_outbox, risk_analysis_runs');
  await pool.query('CHECKPOINT');
}
