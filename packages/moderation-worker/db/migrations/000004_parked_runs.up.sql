-- Parking: a match deferred longer than RISK_ANALYSIS_PARK_AFTER leaves Redis (its job is removed)
-- and waits here instead, its run row still 'deferred'. The recovery sweep re-enqueues parked runs
-- once the engine answers again, and abandons those whose deferral window passed
-- RISK_ANALYSIS_MAX_DEFER. Only the worker's own table changes.
ALTER TABLE risk_analysis_runs
  -- When the match left Redis; NULL while its job is in the queue (or it never was parked).
  ADD COLUMN parked_at timestamptz,
  -- Where its deferral window opened (the worker's rule: the later of first sighting and enqueue);
  -- the re-enqueued job carries it, so a parked match is abandoned on time, not given a new window.
  ADD COLUMN deferred_since timestamptz;

CREATE INDEX risk_analysis_runs_parked ON risk_analysis_runs (deferred_since)
  WHERE status = 'deferred' AND parked_at IS NOT NULL;
