// The statement that queues a stored signal's review notification in production's per-signal form.

/**
 * Queues the review notification of one stored signal, or re-arms it. $1 type
 * (`moderation_signal_queued`), $2 dedupe key (`moderation_signal:<id>:queued`), $3 signal id.
 * Affects one row when it queued or re-armed, none when the row already held this payload (or the
 * signal does not exist).
 *
 * The payload is built from the stored row: signalId a JSON integer (bigint), subjectName the
 * display name or the uuid text when it is empty, occurredAt RFC 3339 UTC. On a dedupe-key conflict
 * the row is re-armed as production does (new payload, due now, sent_at and last_error cleared,
 * attempts kept), but only when the payload differs, so an identical rewrite does not ping the
 * moderators twice, and only when the row is of this type, so another service's row is never changed.
 */
export const QUEUE_SIGNAL_NOTIFICATION_SQL = `
  INSERT INTO notification_outbox (type, dedupe_key, payload_json)
  SELECT $1, $2, jsonb_build_object(
    'signalId', s.id,
    'subjectUserId', s.subject_user_id,
    'subjectName', COALESCE(NULLIF(u.display_name, ''), s.subject_user_id::text),
    'severity', s.severity,
    'evidenceStrength', s.evidence_strength,
    'reasonCode', s.reason_code,
    'occurredAt', to_char(s.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  FROM moderation_signals s JOIN users u ON u.id = s.subject_user_id
  WHERE s.id = $3
  ON CONFLICT (dedupe_key) DO UPDATE
  SET payload_json = EXCLUDED.payload_json, next_attempt_at = now(), sent_at = NULL, last_error = NULL
  WHERE notification_outbox.type = EXCLUDED.type
    AND notification_outbox.payload_json IS DISTINCT FROM EXCLUDED.payload_json`;
