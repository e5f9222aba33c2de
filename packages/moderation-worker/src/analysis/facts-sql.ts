// The one read of a batch of jobs, as production reads a match's facts. For each match asked for:
// whether it exists (it has a match_history row), and its players: the distinct users of its ranked
// guess events, each with their newest 50 events across all matches (occurred_at desc, round_number
// desc) and their duel rating (default 500) and ranked games (default 0) in the active season. The
// active season is read in the same statement, so a season change shows on the very next read: the
// `site_settings` `ranked_season` row's activeSeasonId when it is a non-blank JSON string (trimmed of
// the white space Go's strings.TrimSpace removes in ASCII), else production's fallback 's2' (row
// missing, value not an object, id not a string, or blank). Season ids are text.
//
// A player's events travel as six parallel arrays [matchIds, roundNumbers, scores, guessMs,
// evidence, occurredAt] rather than one JSON value per event: json_build_array resolves its argument
// types on every call, so the arrays make the whole read cheaper for PostgreSQL
// (docs/performance.md, "Events as parallel arrays"). Round
// numbers and scores (smallint) and evidence (real) leave as JSON numbers; evidence is never cast to
// double precision, which would turn 0.123 into 0.12300000339746475. The arrays follow the sorted
// subquery (newest first); facts.ts checks that order rather than pay for six ORDER BY aggregates.
// Times leave PostgreSQL as RFC 3339 UTC text: formatting them in JavaScript cost the worker more CPU
// and far more garbage than to_char costs here.
//
// The per-player scan uses idx_ranked_guess_events_user_recent but is never index-only (plans in
// docs/performance.md, "The facts read on the production schema: index use"). With a short history
// PostgreSQL takes a bitmap scan of that index plus a top-50 sort; with a long one an ordered Index
// Scan that stops after 50 rows, no sort. Either way every event is fetched from the heap, because
// the contract's events carry match_id and the index holds only (user_id, occurred_at,
// round_number) INCLUDE (score, guess_ms, evidence). The order is the index's own, with no match_id
// tie-break, so the long-history plan needs no sort node.

/**
 * `$1` match ids (uuid[]). One row per distinct id: whether the match exists, and its players as a
 * json array of {userId, rating, games, events (the six arrays)}, ordered by user id.
 */
export const LOAD_FACTS_SQL = `
WITH active_season AS (
  SELECT COALESCE((
    SELECT NULLIF(btrim(st.value_json->>'activeSeasonId', E' \\t\\n\\r\\f\\x0B'), '')
    FROM site_settings st
    WHERE st.key = 'ranked_season' AND jsonb_typeof(st.value_json->'activeSeasonId') = 'string'
  ), 's2') AS id
), wanted AS (
  SELECT DISTINCT id AS match_id FROM unnest($1::uuid[]) AS id
), event_players AS (
  SELECT DISTINCT e.match_id, e.user_id
  FROM wanted w JOIN ranked_guess_events e ON e.match_id = w.match_id
)
SELECT
  w.match_id,
  EXISTS (SELECT 1 FROM match_history h WHERE h.match_id = w.match_id) AS match_exists,
  COALESCE((
    SELECT json_agg(json_build_object(
             'userId', p.user_id,
             'rating', COALESCE(r.mmr, 500),
             'games', COALESCE(st.games_played, 0),
             'events', ev.events
           ) ORDER BY p.user_id)
    FROM event_players p
    LEFT JOIN active_season s ON true
    LEFT JOIN ranks r ON r.user_id = p.user_id AND r.mode = 'duel' AND r.season_id = s.id
    LEFT JOIN ranked_stats st ON st.user_id = p.user_id AND st.mode = 'duel' AND st.season_id = s.id
    CROSS JOIN LATERAL (
      SELECT json_build_array(
               array_agg(e.match_id),
               array_agg(e.round_number),
               array_agg(e.score),
               array_agg(e.guess_ms),
               array_agg(e.evidence),
               array_agg(to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
             ) AS events
      FROM (
        SELECT match_id, round_number, score, guess_ms, evidence, occurred_at
        FROM ranked_guess_events
        WHERE user_id = p.user_id
        ORDER BY occurred_at DESC, round_number DESC
        LIMIT 50
      ) e
    ) ev
    WHERE p.match_id = w.match_id
  ), '[]'::json) AS players
FROM wanted w
`;
