-- The worker's own housekeeping tables and indexes; no API table is touched.

-- Per-reporter rate limit of player reports (MODERATION_REPORT_RATE_LIMIT per
-- MODERATION_REPORT_RATE_WINDOW): one row per reporter, a fixed window counted inside the
-- transaction that stores the report, so the limit holds across replicas and processes. No foreign
-- key to users: a foreign key would add triggers to the API's table.
CREATE TABLE moderation_worker_report_quota (
  reporter_user_id   uuid PRIMARY KEY,
  window_started_at  timestamptz NOT NULL,
  reports            integer NOT NULL CHECK (reports >= 0)
);

-- Retention deletes finished runs oldest first, a bounded batch at a time.
CREATE INDEX risk_analysis_runs_finished ON risk_analysis_runs (finished_at) WHERE finished_at IS NOT NULL;
