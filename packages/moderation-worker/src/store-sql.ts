// The SQL of the one write transaction and of the run-row bookkeeping.

const RANK_SEVERITY = `ARRAY['low','medium','high','critical']`;
const RANK_EVIDENCE = `ARRAY['weak','limited','substantial','strong']`;

/**
 * Upserts a batch of risk-engine signals for `$1` (match) from parallel arrays, merging into existing
 * rows (DESIGN §5). RETURNING the merged row, so the outbox sees what a moderator would.
 */
export const UPSERT_SIGNALS_SQL = `
INSERT INTO moderation_signals AS s (
  subject_user_id, signal_type, source, severity, evidence_strength, detector_key, detector_version,
  reason_code, score, recommended_queue, match_id, payload_json, occurred_at)
SELECT u.subject_user_id, u.signal_type, 'risk_engine', u.severity, u.evidence_strength, u.detector_key,
       u.detector_version, u.reason_code, u.score, u.recommended_queue, $1, u.payload_json, u.occurred_at
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::float8[], $10::bool[], $11::jsonb[], $12::timestamptz[])
  AS u(subject_user_id, signal_type, severity, evidence_strength, detector_key, detector_version, reason_code,
       score, recommended_queue, payload_json, occurred_at)
ON CONFLICT (subject_user_id, match_id, detector_key, detector_version, reason_code)
  WHERE source = 'risk_engine'
DO UPDATE SET
  severity = CASE WHEN array_position(${RANK_SEVERITY}, EXCLUDED.severity) > array_position(${RANK_SEVERITY}, s.severity)
                  THEN EXCLUDED.severity ELSE s.severity END,
  evidence_strength = CASE WHEN array_position(${RANK_EVIDENCE}, EXCLUDED.evidence_strength)
                                > array_position(${RANK_EVIDENCE}, s.evidence_strength)
                           THEN EXCLUDED.evidence_strength ELSE s.evidence_strength END,
  score = GREATEST(s.score, EXCLUDED.score),
  recommended_queue = s.recommended_queue OR EXCLUDED.recommended_queue,
  payload_json = COALESCE(EXCLUDED.payload_json, s.payload_json),
  occurred_at = GREATEST(s.occurred_at, EXCLUDED.occurred_at),
  updated_at = now()
RETURNING id, subject_user_id, signal_type, severity, evidence_strength, reason_code, detector_key, score,
          recommended_queue, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at
`;

// The run-row upsert of match `$1`; the other values are SQL fragments (placeholders or literals), so
// the bookkeeping write and the analysed-match statement share one set of merge rules. A null
// `count` keeps the previous signal count.
function runUpsert(v: {
  status: string;
  failure: string;
  detector: string;
  count: string;
  at: string;
  finishedAt: string;
}): string {
  return `
INSERT INTO risk_analysis_runs AS r (
  match_id, status, attempts, last_failure, detector_version, signal_count, first_seen_at, updated_at, finished_at)
VALUES ($1, ${v.status}, 1, ${v.failure}, ${v.detector}, COALESCE(${v.count}, 0), ${v.at}, ${v.at}, ${v.finishedAt})
ON CONFLICT (match_id) DO UPDATE SET
  status = EXCLUDED.status,
  attempts = r.attempts + 1,
  last_failure = EXCLUDED.last_failure,
  detector_version = COALESCE(EXCLUDED.detector_version, r.detector_version),
  signal_count = COALESCE(${v.count}, r.signal_count),
  updated_at = EXCLUDED.updated_at,
  finished_at = EXCLUDED.finished_at`;
}

// Run of `$1` (match): status `$2`, failure `$3`, detector version `$4`, signal count `$5` (null keeps
// the previous), at `$6`, finished when `$7`.
const RUN_UPSERT = runUpsert({
  status: '$2',
  failure: '$3',
  detector: '$4',
  count: '$5::int',
  at: '$6',
  finishedAt: 'CASE WHEN $7::bool THEN $6::timestamptz END',
});

/** Records a run (see RUN_UPSERT's parameters); RETURNING the run's attempts and first sighting. */
export const UPSERT_RUN_SQL = `${RUN_UPSERT}
RETURNING attempts, first_seen_at`;

/**
 * The whole write of an analysed match as one statement: one round trip, atomic by itself. The
 * upsert of UPSERT_SIGNALS_SQL (`$1`-`$12`); an outbox row of type `$13`, keyed as signalDedupeKey
 * keys it (`<type>:<signal id>`), carrying the QueuedSignalPayload of every merged signal that
 * needsReview (recommended, or high/critical); and the analysed run (detector version `$14`, signal
 * count `$15`, at `$16`). Returns the signals upserted and the outbox rows inserted.
 */
export const STORE_ANALYSIS_SQL = `
WITH upserted AS (${UPSERT_SIGNALS_SQL}), outbox AS (
  INSERT INTO notification_outbox (type, dedupe_key, payload_json)
  SELECT $13::text, $13::text || ':' || u.id, jsonb_build_object(
           'signalId', u.id, 'source', 'risk_engine', 'subjectUserId', u.subject_user_id, 'matchId', $1::uuid,
           'reporterUserId', NULL, 'signalType', u.signal_type, 'severity', u.severity,
           'evidenceStrength', u.evidence_strength, 'reasonCode', u.reason_code, 'detectorKey', u.detector_key,
           'score', u.score, 'occurredAt', u.occurred_at)
  FROM upserted u
  WHERE u.recommended_queue OR u.severity IN ('high', 'critical')
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING 1
), run AS (${runUpsert({
  status: "'analyzed'",
  failure: 'NULL',
  detector: '$14',
  count: '$15::int',
  at: '$16::timestamptz',
  finishedAt: '$16::timestamptz',
})}
  RETURNING 1
)
SELECT (SELECT count(*) FROM upserted)::int AS signal_count,
       (SELECT count(*) FROM outbox)::int AS outbox_inserted,
       (SELECT count(*) FROM run)::int AS runs`;

/** Marks run `$1` abandoned with reason `$2` at `$3`, unless it finished meanwhile. */
export const ABANDON_RUN_SQL = `
UPDATE risk_analysis_runs SET status = 'abandoned', last_failure = $2, updated_at = $3, finished_at = $3
WHERE match_id = $1 AND status = 'deferred'
`;
