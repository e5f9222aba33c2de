-- Reverts only what 000003 created: the report quota table and the retention index.
DROP INDEX IF EXISTS risk_analysis_runs_finished;
DROP TABLE IF EXISTS moderation_worker_report_quota;
