// The SQL of the readiness probes beyond the schema version (db/migrate.ts reads that).

/** How many matches wait deferred, as `n`; no parameters. */
export const DEFERRED_BACKLOG_SQL = `SELECT count(*)::int AS n FROM risk_analysis_runs WHERE status = 'deferred'`;
