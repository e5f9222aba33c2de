-- Reverts only parking's columns. A parked match (deferred, no job in Redis) is then found again by
-- `moderation-worker backfill`, which re-enqueues every deferred run.
DROP INDEX IF EXISTS risk_analysis_runs_parked;
ALTER TABLE risk_analysis_runs DROP COLUMN IF EXISTS deferred_since, DROP COLUMN IF EXISTS parked_at;
