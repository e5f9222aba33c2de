// The discovery sweep's statements. Times cross the wire as bigint microseconds since the epoch
// (`extract` is exact numeric since PostgreSQL 14, and `'epoch' + n * 1 µs` is exact back), so a
// keyset position names exactly the match it came from. Every statement is unnamed: the sweep runs
// once per interval, and behind PgBouncer a named statement could land on another server session.

/** No parameters. Creates the one cursor row if it is missing; never waits on a row another pass holds. */
export const ENSURE_CURSOR_SQL = `
INSERT INTO moderation_worker_discovery (singleton) VALUES (true) ON CONFLICT DO NOTHING
`;

/**
 * No parameters. Takes the cursor row for this transaction, or returns no row when another replica
 * holds it (that replica is sweeping; this one skips the pass). `db_now` is the transaction's start.
 */
export const CLAIM_CURSOR_SQL = `
SELECT (extract(epoch FROM swept_to) * 1000000)::bigint AS swept_to,
       (extract(epoch FROM resume_ended_at) * 1000000)::bigint AS resume_ended_at,
       resume_match_id,
       (extract(epoch FROM round_started_at) * 1000000)::bigint AS round_started_at,
       (extract(epoch FROM last_sweep_at) * 1000000)::bigint AS last_sweep_at,
       last_swept_by,
       (extract(epoch FROM now()) * 1000000)::bigint AS db_now
FROM moderation_worker_discovery
WHERE singleton
FOR UPDATE SKIP LOCKED
`;

/**
 * `$1` position ended_at (bigint µs), `$2` position match id (uuid), `$3` most rows. Ranked duels
 * after the position in `(ended_at, match_id)` order with no analysis run yet. Without an index on
 * `ended_at` this reads the whole table (docs/performance.md names the index that makes it cheap).
 */
export const FIND_UNANALYSED_SQL = `
SELECT mh.match_id, (extract(epoch FROM mh.ended_at) * 1000000)::bigint AS ended_at
FROM match_history mh
WHERE mh.ranked AND mh.mode = 'duel'
  AND (mh.ended_at, mh.match_id) > ('epoch'::timestamptz + $1::bigint * interval '1 microsecond', $2::uuid)
  AND NOT EXISTS (SELECT 1 FROM risk_analysis_runs r WHERE r.match_id = mh.match_id)
ORDER BY mh.ended_at, mh.match_id
LIMIT $3
`;

/**
 * `$1` swept_to (bigint µs), `$2` resume ended_at (bigint µs), `$3` resume match id (uuid), `$4`
 * round start (bigint µs), each may be null; `$5` the sweeper's id (uuid). Stores the cursor after a
 * pass and stamps the pass; returns the status columns.
 */
export const SAVE_CURSOR_SQL = `
UPDATE moderation_worker_discovery SET
  swept_to = 'epoch'::timestamptz + $1::bigint * interval '1 microsecond',
  resume_ended_at = 'epoch'::timestamptz + $2::bigint * interval '1 microsecond',
  resume_match_id = $3::uuid,
  round_started_at = 'epoch'::timestamptz + $4::bigint * interval '1 microsecond',
  last_sweep_at = now(),
  last_swept_by = $5::uuid
WHERE singleton
RETURNING (extract(epoch FROM swept_to) * 1000000)::bigint AS swept_to,
          (extract(epoch FROM last_sweep_at) * 1000000)::bigint AS last_sweep_at,
          (extract(epoch FROM statement_timestamp()) * 1000000)::bigint AS db_now
`;

/** No parameters. The cursor and the last pass as any replica may read them, without waiting on the lock. */
export const READ_STATUS_SQL = `
SELECT (extract(epoch FROM swept_to) * 1000000)::bigint AS swept_to,
       (extract(epoch FROM last_sweep_at) * 1000000)::bigint AS last_sweep_at,
       (extract(epoch FROM statement_timestamp()) * 1000000)::bigint AS db_now
FROM moderation_worker_discovery
WHERE singleton
`;
