// The SQL of parking and of the recovery sweep (parked-sweep.ts). Every statement is unnamed: they
// run rarely (a park per match that waited out its threshold, a sweep pass per interval), and behind
// PgBouncer a named statement could land on another server session.

/**
 * Parks run `$1` at `$3` (timestamptz): its deferral window opened at the later of its first
 * sighting and `$2` (the job's enqueue time, timestamptz), as deferralExpired reads it. Only a run
 * that is still deferred: an analysed (or otherwise settled) run is never touched. RETURNING the
 * match when it parked.
 */
export const PARK_RUN_SQL = `
UPDATE risk_analysis_runs
SET parked_at = $3::timestamptz, deferred_since = GREATEST(first_seen_at, $2::timestamptz), updated_at = $3::timestamptz
WHERE match_id = $1 AND status = 'deferred'
RETURNING match_id
`;

/**
 * Parks match `$1` without trying it (the engine is known down): a new run row, deferred and parked
 * at `$3`, or a deferred one marked parked, its window opened at the later of its first sighting and
 * `$2` (the job's enqueue time). A run in any other state is left alone (no row returned): an
 * analysed run never moves back, and a re-run asked for by backfill takes the usual path.
 */
export const PARK_UNTRIED_SQL = `
INSERT INTO risk_analysis_runs AS r (
  match_id, status, attempts, last_failure, signal_count, first_seen_at, updated_at, parked_at, deferred_since)
VALUES ($1, 'deferred', 1, 'breaker_open', 0, $3::timestamptz, $3::timestamptz, $3::timestamptz,
        GREATEST($3::timestamptz, $2::timestamptz))
ON CONFLICT (match_id) DO UPDATE SET
  attempts = r.attempts + 1, last_failure = 'breaker_open', updated_at = EXCLUDED.updated_at,
  parked_at = EXCLUDED.parked_at, deferred_since = GREATEST(r.first_seen_at, $2::timestamptz)
  WHERE r.status = 'deferred'
RETURNING match_id
`;

/**
 * Abandons parked runs whose deferral window opened at or before `$1` (now minus
 * RISK_ANALYSIS_MAX_DEFER, timestamptz), at `$2` (timestamptz), at most `$3`, skipping rows another
 * replica holds. RETURNING each match and its last failure (the reason it waited for).
 */
export const ABANDON_EXPIRED_PARKED_SQL = `
UPDATE risk_analysis_runs r
SET status = 'abandoned', parked_at = NULL, updated_at = $2::timestamptz, finished_at = $2::timestamptz
FROM (SELECT match_id FROM risk_analysis_runs
      WHERE status = 'deferred' AND parked_at IS NOT NULL AND deferred_since <= $1::timestamptz
      ORDER BY deferred_since
      LIMIT $3
      FOR UPDATE SKIP LOCKED) expired
WHERE r.match_id = expired.match_id
RETURNING r.match_id, r.last_failure
`;

/**
 * Takes up to `$1` parked runs, oldest deferral first, for this transaction (rows another replica
 * holds are skipped, so replicas share the work). The deferral window's start in epoch
 * milliseconds, for the re-enqueued job's timestamp.
 */
export const CLAIM_PARKED_SQL = `
SELECT match_id, (extract(epoch FROM deferred_since) * 1000)::float8 AS deferred_since_ms
FROM risk_analysis_runs
WHERE status = 'deferred' AND parked_at IS NOT NULL
ORDER BY deferred_since
LIMIT $1
FOR UPDATE SKIP LOCKED
`;

/** Un-parks the runs `$1` (uuid[]) whose jobs are back in the queue. */
export const UNPARK_SQL = `
UPDATE risk_analysis_runs SET parked_at = NULL WHERE match_id = ANY($1::uuid[]) AND parked_at IS NOT NULL
`;

/** No parameters. How many matches are parked, as `n`. */
export const COUNT_PARKED_SQL = `
SELECT count(*)::int AS n FROM risk_analysis_runs WHERE status = 'deferred' AND parked_at IS NOT NULL
`;
