// Every statement the player-report path runs, parametrised. The conflict target repeats the
// partial unique index `moderation_signals_player_report_dedupe` (migration 000001).

/** $1 match id -> one row when the match exists. */
export const SELECT_MATCH_EXISTS = `SELECT 1 FROM match_history WHERE match_id = $1`;

/** $1 match id, $2 user id -> one row when the user has ranked guess events in the match. */
export const SELECT_PARTICIPANT = `
  SELECT 1 FROM ranked_guess_events WHERE match_id = $1 AND user_id = $2 LIMIT 1`;

/**
 * $1 subject, $2 signal type, $3 severity, $4 evidence, $5 reason code, $6 score, $7 reporter,
 * $8 match, $9 payload -> the new row's id and occurred_at, or no row when already reported.
 */
export const INSERT_PLAYER_REPORT = `
  INSERT INTO moderation_signals (
    subject_user_id, signal_type, source, severity, evidence_strength, detector_key, detector_version,
    reason_code, score, recommended_queue, reporter_user_id, match_id, payload_json, occurred_at
  ) VALUES ($1, $2, 'player_report', $3, $4, NULL, NULL, $5, $6, true, $7, $8, $9, now())
  ON CONFLICT (match_id, reporter_user_id, subject_user_id) WHERE source = 'player_report' DO NOTHING
  RETURNING id, occurred_at`;

/** $1 match, $2 reporter, $3 subject -> the id of the report already stored. */
export const SELECT_EXISTING_REPORT = `
  SELECT id FROM moderation_signals
  WHERE source = 'player_report' AND match_id = $1 AND reporter_user_id = $2 AND subject_user_id = $3`;

/** $1 type, $2 dedupe key, $3 payload -> queues the review notification once. */
export const INSERT_OUTBOX_ROW = `
  INSERT INTO notification_outbox (type, dedupe_key, payload_json) VALUES ($1, $2, $3)
  ON CONFLICT (dedupe_key) DO NOTHING`;
