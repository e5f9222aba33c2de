// The one read of a batch of jobs. For each match asked for: whether it exists, and its players (the
// users with ranked guess events in it), each with a LATERAL scan of their newest 50 events (index
// ranked_guess_events_user_recent), their duel rating and games in the active season. A player's
// events travel as six parallel arrays [matchIds, roundNumbers, scores, guessMs, evidence,
// occurredAt] rather than one JSON value per event: json_build_array resolves
// its argument types on every call, and the arrays take a quarter less PostgreSQL time for the whole
// read. The arrays follow the sorted subquery (newest first); facts.ts checks that order rather
// than pay for six ORDER BY aggregates. Times leave PostgreSQL as RFC 3339 UTC text: formatting
// them in JavaScript cost the worker more CPU and far more garbage than to_char costs here.

/** `$1` match ids (uuid[]). One row per distinct id: whether the match exists, and its players as a json array. */
export const LOAD_FACTS_SQL = `
WITH active_season AS (
  SELECT id FROM seasons WHERE is_active LIMIT 1
), wanted AS (
  SELECT DISTINCT id AS match_id FROM unnest($1::uuid[]) AS id
), match_players AS (
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
    FROM match_players p
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
        ORDER BY occurred_at DESC, round_number DESC, match_id
        LIMIT 50
      ) e
    ) ev
    WHERE p.match_id = w.match_id
  ), '[]'::json) AS players
FROM wanted w
`;
