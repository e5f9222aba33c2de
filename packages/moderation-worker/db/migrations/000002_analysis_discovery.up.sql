-- The discovery sweep's cursor: one worker-owned row. The sweep takes it with
-- SELECT ... FOR UPDATE SKIP LOCKED in a short transaction, so one replica sweeps at a time (a row
-- lock, unlike a session advisory lock, survives PgBouncer's transaction pooling). The sweep
-- creates the row itself the first time; no API table is touched.
CREATE TABLE moderation_worker_discovery (
  singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  -- Every ranked duel that ended before this instant, and had committed by then, was examined.
  -- NULL until the first round completes (the first round starts at now minus the overlap).
  swept_to          timestamptz,
  -- Set while a round is in progress (its last pass was full): the next pass continues after
  -- (resume_ended_at, resume_match_id), and the round's start becomes swept_to when it completes.
  resume_ended_at   timestamptz,
  resume_match_id   uuid,
  round_started_at  timestamptz,
  -- The last completed pass and the sweeper (a random id per process) that made it: another
  -- replica skips its pass while this is less than an interval old.
  last_sweep_at     timestamptz,
  last_swept_by     uuid,
  CONSTRAINT moderation_worker_discovery_resume_whole CHECK (
    (resume_ended_at IS NULL) = (resume_match_id IS NULL)
    AND (resume_ended_at IS NULL) = (round_started_at IS NULL))
);
