// The benchmark's own database between phases (created by worker-bench.mjs through
// @geoduels/test-support's createWorkerDatabase: the API schema, then `moderation-worker migrate up`).

/**
 * Removes what a phase wrote, so every phase starts from the same state: the worker's own run rows,
 * and in the API's tables only the rows the worker writes (engine signals, review notifications),
 * never the tables themselves.
 */
export async function resetModerationTables(pool) {
  await pool.query(`DELETE FROM notification_outbox WHERE type = 'moderation_signal_queued'`);
  await pool.query(`DELETE FROM moderation_signals WHERE source = 'risk_engine'`);
  await pool.query('TRUNCATE risk_analysis_runs');
  await pool.query('VACUUM ANALYZE moderation_signals, notification_outbox, risk_analysis_runs');
  await pool.query('CHECKPOINT');
}
