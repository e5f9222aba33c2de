// The one read of a job. Players are the users with ranked guess events in the match; for each, a
// LATERAL scan of their newest 50 events (index ranked_guess_events_user_recent), their duel rating
// and games in the active season. Times leave PostgreSQL already as RFC 3339 UTC strings. Events
// travel as positional arrays [matchId, roundNumber, score, guessMs, evidence, occurredAt], not
// objects: about half the bytes to build, send and parse.

/** `$1` match id. One row: whether the match exists, and the players as a json array. */
export const LOAD_FACTS_SQL = `
WITH active_season AS (
  SELECT id FROM seasons WHERE is_active LIMIT 1
), match_players AS (
  SELECT DISTINCT user_id FROM ranked_guess_events WHERE match_id = $1
)
SELECT
  EXISTS (SELECT 1 FROM match_history WHERE match_id = $1) AS match_exists,
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
      SELECT json_agg(json_build_array(
               e.match_id,
               e.round_number,
               e.score,
               e.guess_ms,
               e.evidence,
               to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
             ) ORDER BY e.occurred_at DESC, e.round_number DESC, e.match_id) AS events
      FROM (
        SELECT match_id, round_number, score, guess_ms, evidence, occurred_at
        FROM ranked_guess_events
        WHERE user_id = p.user_id
        ORDER BY occurred_at DESC, round_number DESC, match_id
        LIMIT 50
      ) e
    ) ev
  ), '[]'::json) AS players
`;
