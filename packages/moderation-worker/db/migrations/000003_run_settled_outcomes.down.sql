-- The older release knows neither status: their runs become `rejected` (final, not re-enqueued by
-- default, as they were), their last_failure kept, so no outcome is lost.
UPDATE risk_analysis_runs SET status = 'rejected' WHERE status IN ('unstorable', 'skipped_invalid_request');
ALTER TABLE risk_analysis_runs DROP CONSTRAINT risk_analysis_runs_status_check;
ALTER TABLE risk_analysis_runs ADD CONSTRAINT risk_analysis_runs_status_check CHECK (status IN
  ('analyzed', 'skipped_disabled', 'skipped_no_facts', 'deferred', 'abandoned', 'rejected'));
