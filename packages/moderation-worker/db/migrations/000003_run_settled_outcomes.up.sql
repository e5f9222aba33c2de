-- Two more ways a run settles, both final (the job is not retried, backfill does not re-enqueue them by
-- default): `unstorable`, PostgreSQL refused the engine's answer with a data error (SQLSTATE class 22;
-- last_failure names the SQLSTATE and the refusal), and `skipped_invalid_request`, the facts make a
-- request the engine's contract refuses (last_failure names the reason, e.g. too_many_players), so it
-- was never sent. Only the worker's own table changes.
ALTER TABLE risk_analysis_runs DROP CONSTRAINT risk_analysis_runs_status_check;
ALTER TABLE risk_analysis_runs ADD CONSTRAINT risk_analysis_runs_status_check CHECK (status IN
  ('analyzed', 'skipped_disabled', 'skipped_no_facts', 'deferred', 'abandoned', 'rejected',
   'unstorable', 'skipped_invalid_request'));
