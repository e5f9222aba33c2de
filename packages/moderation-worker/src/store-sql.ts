// The SQL of the one write transaction and of the run-row bookkeeping.

const RANK_SEVERITY = `ARRAY['low','medium','high','critical']`;
const RANK_EVIDENCE = `ARRAY['weak','limited','substantial','strong']`;

/**
 * Upserts risk-engine signals from parallel arrays (`$1` match ids, then `$2`-`$12` the columns),
 * merging into existing rows (DESIGN §5). RETURNING the merged row, so the outbox sees what a
 * moderator would. A statement may touch a row once, so one call carries no two signals with the
 * same key (collapseSignals within a match; the key includes the match).
 */
const UPSERT_SIGNALS_SQL = `
INSERT INTO moderation_signals AS s (
  subject_user_id, signal_type, source, severity, evidence_strength, detector_key, detector_version,
  reason_code, score, recommended_queue, match_id, payload_json, occurred_at)
SELECT u.subject_user_id, u.signal_type, 'risk_engine', u.severity, u.evidence_strength, u.detector_key,
       u.detector_version, u.reason_code, u.score, u.recommended_queue, u.match_id, u.payload_json, u.occurred_at
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::float8[], $10::bool[], $11::jsonb[], $12::timestamptz[])
  AS u(match_id, subject_user_id, signal_type, severity, evidence_strength, detector_key, detector_version,
       reason_code, score, recommended_queue, payload_json, occurred_at)
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
RETURNING id, match_id, subject_user_id, signal_type, severity, evidence_strength, reason_code, detector_key, score,
          recommended_queue, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at
`;

// The run-row upsert: `rows` yields the inserted columns (a VALUES list or a SELECT), `signalCount`
// is the count kept on conflict. One set of merge rules for the bookkeeping write and the
// analysed-match statement.
function runUpsert(rows: string, signalCount: string): string {
  return `
INSERT INTO risk_analysis_runs AS r (
  match_id, status, attempts, last_failure, detector_version, signal_count, first_seen_at, updated_at, finished_at)
${rows}
ON CONFLICT (match_id) DO UPDATE SET
  status = EXCLUDED.status,
  attempts = r.attempts + 1,
  last_failure = EXCLUDED.last_failure,
  detector_version = COALESCE(EXCLUDED.detector_version, r.detector_version),
  signal_count = ${signalCount},
  updated_at = EXCLUDED.updated_at,
  finished_at = EXCLUDED.finished_at`;
}

/**
 * Records the run of `$1` (match): status `$2`, failure `$3`, detector version `$4`, signal count
 * `$5` (null keeps the previous), at `$6`, finished when `$7`. RETURNING the run's attempts and
 * first sighting.
 */
export const UPSERT_RUN_SQL = `${runUpsert(
  'VALUES ($1, $2, 1, $3, $4, COALESCE($5::int, 0), $6, $6, CASE WHEN $7::bool THEN $6::timestamptz END)',
  'COALESCE($5::int, r.signal_count)',
)}
RETURNING attempts, first_seen_at`;

/**
 * The whole write of a batch of analysed matches as one statement: one round trip and one commit,
 * atomic by itself. The upsert of UPSERT_SIGNALS_SQL (`$1`-`$12`); an outbox row of type `$13`,
 * keyed as signalDedupeKey keys it (`<type>:<signal id>`), carrying the QueuedSignalPayload of every
 * merged signal that needsReview (recommended, or high/critical); and one analysed run per match
 * (`$14` match ids, `$15` detector versions, `$16` signal counts, `$17` times). One row per match:
 * the signals upserted and the outbox rows inserted for it.
 */
export const STORE_ANALYSIS_SQL = `
WITH upserted AS (${UPSERT_SIGNALS_SQL}), outbox AS (
  INSERT INTO notification_outbox (type, dedupe_key, payload_json)
  SELECT $13::text, $13::text || ':' || u.id, jsonb_build_object(
           'signalId', u.id, 'source', 'risk_engine', 'subjectUserId', u.subject_user_id, 'matchId', u.match_id,
           'reporterUserId', NULL, 'signalType', u.signal_type, 'severity', u.severity,
           'evidenceStrength', u.evidence_strength, 'reasonCode', u.reason_code, 'detectorKey', u.detector_key,
           'score', u.score, 'occurredAt', u.occurred_at)
  FROM upserted u
  WHERE u.recommended_queue OR u.severity IN ('high', 'critical')
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING (payload_json->>'matchId')::uuid AS match_id
), run AS (${runUpsert(
  `SELECT x.match_id, 'analyzed', 1, NULL, x.detector_version, x.signal_count, x.at, x.at, x.at
FROM unnest($14::uuid[], $15::text[], $16::int[], $17::timestamptz[]) AS x(match_id, detector_version, signal_count, at)`,
  'EXCLUDED.signal_count',
)}
  RETURNING match_id
)
SELECT run.match_id,
       COALESCE((SELECT count(*) FROM upserted u WHERE u.match_id = run.match_id), 0)::int AS signal_count,
       COALESCE((SELECT count(*) FROM outbox o WHERE o.match_id = run.match_id), 0)::int AS outbox_inserted
FROM run`;

/** Marks run `$1` abandoned with reason `$2` at `$3`, unless it finished meanwhile. */
export const ABANDON_RUN_SQL = `
UPDATE risk_analysis_runs SET status = 'abandoned', last_failure = $2, updated_at = $3, finished_at = $3
WHERE match_id = $1 AND status = 'deferred'
`;
