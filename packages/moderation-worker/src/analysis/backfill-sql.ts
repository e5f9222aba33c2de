// The SQL of backfill: which matches to enqueue again.

/**
 * One page of the matches backfill re-enqueues: runs whose status is in `$1` (text[]), plus ranked
 * duels with no run at all (a lost enqueue); only those first seen (or ended) at or after `$2`
 * (timestamptz, null for all). Keyset paging by match id: after `$3` (uuid, null for the first
 * page), at most `$4` rows.
 */
export const BACKFILL_CANDIDATES_SQL = `
SELECT match_id FROM (
  SELECT match_id FROM risk_analysis_runs
  WHERE status = ANY($1::text[]) AND ($2::timestamptz IS NULL OR first_seen_at >= $2)
  UNION
  SELECT mh.match_id FROM match_history mh
  WHERE mh.ranked AND mh.mode = 'duel'
    AND ($2::timestamptz IS NULL OR mh.ended_at >= $2)
    AND NOT EXISTS (SELECT 1 FROM risk_analysis_runs r WHERE r.match_id = mh.match_id)
) candidates
WHERE $3::uuid IS NULL OR match_id > $3
ORDER BY match_id
LIMIT $4
`;
