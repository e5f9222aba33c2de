// Production's own statements on the tables it shares with the worker, as its Go API and Go
// moderation worker run them: the compatibility tests and the benchmark's baseline play production
// with these, so there is one copy to keep in step with production.

/**
 * Production's engine-signal upsert, on its detector dedupe index with its merge rules: greater
 * severity and evidence strength by rank, greater score, recommended_queue ORed, greater occurred_at,
 * payload replaced by the newest (never NULL). $1 subject_user_id, $2 signal_type, $3 severity,
 * $4 evidence_strength, $5 detector_key, $6 detector_version, $7 reason_code, $8 score,
 * $9 recommended_queue, $10 match_id, $11 payload_json (NULL stores '{}'), $12 occurred_at.
 * Returns the stored row's id, severity, evidence_strength, recommended_queue and occurred_at.
 */
export const PRODUCTION_UPSERT_SIGNAL_SQL = `
INSERT INTO moderation_signals AS m (subject_user_id, signal_type, source, severity, evidence_strength, detector_key,
  detector_version, reason_code, score, recommended_queue, match_id, payload_json, occurred_at)
VALUES ($1, $2, 'risk_engine', $3, $4, $5, $6, $7, $8, $9, $10, COALESCE($11::jsonb, '{}'::jsonb), $12)
ON CONFLICT (subject_user_id, coalesce(match_id, '00000000-0000-0000-0000-000000000000'::uuid),
  coalesce(detector_key, ''), coalesce(detector_version, ''), reason_code) WHERE source = 'risk_engine'
DO UPDATE SET
  severity = CASE WHEN array_position(ARRAY['low','medium','high','critical'], EXCLUDED.severity)
                     > array_position(ARRAY['low','medium','high','critical'], m.severity)
                  THEN EXCLUDED.severity ELSE m.severity END,
  evidence_strength = CASE WHEN array_position(ARRAY['weak','limited','substantial','strong'], EXCLUDED.evidence_strength)
                     > array_position(ARRAY['weak','limited','substantial','strong'], m.evidence_strength)
                  THEN EXCLUDED.evidence_strength ELSE m.evidence_strength END,
  score = GREATEST(m.score, EXCLUDED.score),
  recommended_queue = m.recommended_queue OR EXCLUDED.recommended_queue,
  payload_json = EXCLUDED.payload_json,
  occurred_at = GREATEST(m.occurred_at, EXCLUDED.occurred_at)
RETURNING id, severity, evidence_strength, recommended_queue, occurred_at`;

/**
 * Production's outbox producer for a signal's review notification: insert, or on a dedupe-key
 * conflict re-arm the row (new payload, due now, sent_at and last_error cleared, attempts kept).
 * $1 signal id, $2 subject user id, $3 severity, $4 evidence strength, $5 reason code,
 * $6 occurred_at (RFC 3339 text).
 */
export const PRODUCTION_QUEUE_NOTIFICATION_SQL = `
INSERT INTO notification_outbox (type, dedupe_key, payload_json)
SELECT 'moderation_signal_queued', 'moderation_signal:' || $1::bigint || ':queued', jsonb_build_object(
  'signalId', $1::bigint, 'subjectUserId', $2::uuid,
  'subjectName', COALESCE((SELECT NULLIF(display_name, '') FROM users WHERE id = $2::uuid), $2::text),
  'severity', $3::text, 'evidenceStrength', $4::text, 'reasonCode', $5::text, 'occurredAt', $6::text)
ON CONFLICT (dedupe_key) DO UPDATE SET
  payload_json = EXCLUDED.payload_json, next_attempt_at = now(), sent_at = NULL, last_error = NULL`;

/**
 * Production's moderation worker's claim, one row per transaction, its own notification type only.
 * $1 type. Returns the row's id, type, payload_json and attempts.
 */
export const PRODUCTION_CLAIM_SQL = `
  select id, type, payload_json, attempts from notification_outbox
  where type = $1 and sent_at is null and next_attempt_at <= now()
  order by next_attempt_at, id
  limit 1
  for update skip locked`;

/** Production's lease of the row it claimed: attempts + 1, due again five minutes out. $1 id. */
export const PRODUCTION_LEASE_SQL = `
  update notification_outbox set attempts = attempts + 1, next_attempt_at = now() + interval '5 minutes'
  where id = $1`;
