// Every statement the player-report path runs, parametrised. The conflict target repeats
// production's partial unique index idx_moderation_signals_report_dedupe exactly (expressions and
// predicate), or PostgreSQL would not infer it.

/**
 * What the database must hold before a report is stored. $1 match id, $2 reported user id,
 * $3 reporter user id. Returns match_exists, subject_played (a match_players row for the reported
 * user in that match), reporter_exists and reporter_played (a match_players row for the reporter).
 */
export const REPORT_CHECKS_SQL = `
  SELECT EXISTS (SELECT 1 FROM match_history WHERE match_id = $1) AS match_exists,
         EXISTS (SELECT 1 FROM match_players WHERE match_id = $1 AND user_id = $2) AS subject_played,
         EXISTS (SELECT 1 FROM users WHERE id = $3) AS reporter_exists,
         EXISTS (SELECT 1 FROM match_players WHERE match_id = $1 AND user_id = $3) AS reporter_played`;

/**
 * Stores a player report once per (match, reporter, reported). $1 subject, $2 signal type,
 * $3 severity, $4 evidence strength, $5 reason code, $6 score, $7 reporter, $8 match, $9 payload.
 * Returns the new row's id, or no row when that reporter already reported that player in that match.
 */
export const INSERT_PLAYER_REPORT_SQL = `
  INSERT INTO moderation_signals (
    subject_user_id, signal_type, source, severity, evidence_strength, reason_code, score,
    recommended_queue, reporter_user_id, match_id, payload_json
  ) VALUES ($1, $2, 'player_report', $3, $4, $5, $6, true, $7, $8, $9)
  ON CONFLICT (match_id, reporter_user_id, subject_user_id)
    WHERE source = 'player_report' AND reporter_user_id IS NOT NULL AND match_id IS NOT NULL
  DO NOTHING
  RETURNING id`;

/** The id of the report already stored. $1 match, $2 reporter, $3 subject. */
export const SELECT_EXISTING_REPORT_SQL = `
  SELECT id FROM moderation_signals
  WHERE source = 'player_report' AND match_id = $1 AND reporter_user_id = $2 AND subject_user_id = $3`;

/**
 * Counts one stored report against its reporter's window. $1 reporter, $2 window (ms), $3 now
 * (timestamptz; null: the database clock). Starts a new window when the last one is over. Returns
 * `reports`, this one included. The row lock it takes serialises one reporter's concurrent reports.
 */
export const COUNT_REPORT_SQL = `
  INSERT INTO moderation_worker_report_quota AS q (reporter_user_id, window_started_at, reports)
  VALUES ($1, COALESCE($3::timestamptz, now()), 1)
  ON CONFLICT (reporter_user_id) DO UPDATE SET
    window_started_at = CASE
      WHEN q.window_started_at <= COALESCE($3::timestamptz, now()) - make_interval(secs => $2::double precision / 1000)
        OR q.window_started_at > COALESCE($3::timestamptz, now())
      THEN COALESCE($3::timestamptz, now()) ELSE q.window_started_at END,
    reports = CASE
      WHEN q.window_started_at <= COALESCE($3::timestamptz, now()) - make_interval(secs => $2::double precision / 1000)
        OR q.window_started_at > COALESCE($3::timestamptz, now())
      THEN 1 ELSE q.reports + 1 END
  RETURNING reports`;
