-- One row per analysed match: the worker's bookkeeping, and what backfill reads.
CREATE TABLE risk_analysis_runs (
  match_id          uuid PRIMARY KEY,
  status            text NOT NULL CHECK (status IN
                      ('analyzed', 'skipped_disabled', 'skipped_no_facts', 'deferred', 'abandoned', 'rejected')),
  attempts          integer NOT NULL DEFAULT 0,
  last_failure      text,
  detector_version  text,
  signal_count      integer NOT NULL DEFAULT 0,
  first_seen_at     timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz
);

CREATE INDEX risk_analysis_runs_status ON risk_analysis_runs (status, first_seen_at);
