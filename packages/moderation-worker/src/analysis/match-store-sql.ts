// The SQL of the one write transaction and of the run-row bookkeeping.

const RANK_SEVERITY = `ARRAY['low','medium','high','critical']`;
const RANK_EVIDENCE = `ARRAY['weak','limited','substantial','strong']`;

/**
 * The analysed matches of one write, from `$1`: a JSON array of StoredMatchJson (match-store.ts), one
 * element per match with its collapsed signals. One JSON document, serialised by one native
 * JSON.stringify, instead of a dozen parallel arrays that pg escaped element by element, which
 * cost the worker CPU and garbage (docs/performance.md); payloads travel as JSON, not as escaped
 * strings.
 */
const MATCHES = `SELECT * FROM json_to_recordset($1::json) AS m(
  "matchId" uuid, "detectorVersion" text, "at" timestamptz, "signals" json)`;

/**
 * Upserts the risk-engine signals of `batch` (MATCHES) as production writes them: conflict target
 * production's detector dedupe index, idx_moderation_signals_detector_dedupe (its exact expressions
 * and predicate, or PostgreSQL infers no index), and production's merge rules: the greater severity
 * and evidence strength by rank, the greater score, recommended_queue ORed, the later occurred_at,
 * and the payload replaced by the newest (`{}` when the engine sent none; never NULL). RETURNING the
 * merged row, so the outbox sees what a moderator would. A statement may touch a row once, so one
 * call carries no two signals with the same key (collapseSignals within a match; the key includes
 * the match, and a batch never holds a match twice).
 */
const UPSERT_SIGNALS_SQL = `
INSERT INTO moderation_signals AS s (
  subject_user_id, signal_type, source, severity, evidence_strength, detector_key, detector_version,
  reason_code, score, recommended_queue, match_id, payload_json, occurred_at)
SELECT u."subjectUserId", u."signalType", 'risk_engine', u.severity, u."evidenceStrength", u."detectorKey",
       u."detectorVersion", u."reasonCode", u.score, u."recommendedQueue", m."matchId",
       COALESCE(u.payload, '{}'::jsonb), u."occurredAt"
FROM batch m
CROSS JOIN LATERAL json_to_recordset(m.signals) AS u(
  "subjectUserId" uuid, "signalType" text, severity text, "evidenceStrength" text, "detectorKey" text,
  "detectorVersion" text, "reasonCode" text, score float8, "recommendedQueue" bool, payload jsonb,
  "occurredAt" timestamptz)
ON CONFLICT (subject_user_id, coalesce(match_id, '00000000-0000-0000-0000-000000000000'::uuid),
             coalesce(detector_key, ''), coalesce(detector_version, ''), reason_code)
  WHERE source = 'risk_engine'
DO UPDATE SET
  severity = CASE WHEN array_position(${RANK_SEVERITY}, EXCLUDED.severity) > array_position(${RANK_SEVERITY}, s.severity)
                  THEN EXCLUDED.severity ELSE s.severity END,
  evidence_strength = CASE WHEN array_position(${RANK_EVIDENCE}, EXCLUDED.evidence_strength)
                                > array_position(${RANK_EVIDENCE}, s.evidence_strength)
                           THEN EXCLUDED.evidence_strength ELSE s.evidence_strength END,
  score = GREATEST(s.score, EXCLUDED.score),
  recommended_queue = s.recommended_queue OR EXCLUDED.recommended_queue,
  payload_json = EXCLUDED.payload_json,
  occurred_at = GREATEST(s.occurred_at, EXCLUDED.occurred_at)
RETURNING id, match_id, subject_user_id, detector_key, severity, evidence_strength, reason_code, recommended_queue,
          to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at
`;

/**
 * The review notifications of the merged signals that needsReview (recommended, or high/critical),
 * from `upserted` (UPSERT_SIGNALS_SQL), of type `$2` (SIGNAL_QUEUED), carrying a QueuedSignalPayload;
 * subjectName is the user's display_name, or the id's text when that is empty. One match writes at
 * most `$3` (MODERATION_MAX_NOTIFICATIONS_PER_MATCH) per-signal rows, keyed as signalDedupeKey keys
 * them (`moderation_signal:<id>:queued`): its most severe first (recommended first within a
 * severity, then by id, so a redelivery picks the same ones). Beyond that, one summary row keyed
 * as matchSummaryDedupeKey keys it (`moderation_match:<match id>:more_signals`): the payload of the
 * first signal left out, plus `matchId` and `moreSignals` (how many were left out), so one match
 * cannot flood the webhook and the summary, like every row, is written once per redelivery. On a
 * dedupe-key conflict the row is re-armed as production re-arms it (new payload, due now, sent_at
 * and last_error cleared, attempts kept), but only when the payload differs: a redelivered,
 * identical analysis pings nobody twice; and only a row of the worker's own type: the outbox is
 * shared, and another service's row is never changed. RETURNING the signal id of each row inserted
 * or re-armed (the summary's: its first signal left out).
 */
const QUEUE_REVIEWS_SQL = `
INSERT INTO notification_outbox AS o (type, dedupe_key, payload_json)
SELECT $2::text,
       CASE WHEN r.place <= $3::int THEN 'moderation_signal:' || r.id || ':queued'
            ELSE 'moderation_match:' || r.match_id || ':more_signals' END,
       jsonb_build_object(
         'signalId', r.id, 'subjectUserId', r.subject_user_id,
         'subjectName', COALESCE(NULLIF(p.display_name, ''), r.subject_user_id::text),
         'severity', r.severity, 'evidenceStrength', r.evidence_strength, 'reasonCode', r.reason_code,
         'occurredAt', r.occurred_at)
       || CASE WHEN r.place <= $3::int THEN '{}'::jsonb
               ELSE jsonb_build_object('matchId', r.match_id, 'moreSignals', r.reviews - $3::int) END
FROM (
  SELECT u.*,
         row_number() OVER (PARTITION BY u.match_id ORDER BY array_position(${RANK_SEVERITY}, u.severity) DESC,
                                                              u.recommended_queue DESC, u.id) AS place,
         count(*) OVER (PARTITION BY u.match_id) AS reviews
  FROM upserted u
  WHERE u.recommended_queue OR u.severity IN ('high', 'critical')
) r
LEFT JOIN users p ON p.id = r.subject_user_id
WHERE r.place <= $3::int + 1
ON CONFLICT (dedupe_key) DO UPDATE SET
  payload_json = EXCLUDED.payload_json, next_attempt_at = now(), sent_at = NULL, last_error = NULL
  WHERE o.type = EXCLUDED.type AND o.payload_json IS DISTINCT FROM EXCLUDED.payload_json
RETURNING (o.payload_json->>'signalId')::bigint AS signal_id
`;

// The run-row upsert: `rows` yields the inserted columns (a VALUES list or a SELECT), `signalCount`
// is the count kept on conflict, `guard` a condition on the existing row `r` for the update (the
// analysed-match write overrides any status; the bookkeeping write never overrides `analyzed`).
// One set of merge rules for the bookkeeping write and the analysed-match statement.
function runUpsert(rows: string, signalCount: string, guard = 'true'): string {
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
  finished_at = EXCLUDED.finished_at
  WHERE ${guard}`;
}

/**
 * Records the run of `$1` (match): status `$2`, failure `$3`, detector version `$4`, signal count
 * `$5` (null keeps the previous), at `$6`, finished when `$7`; unless the run is already
 * `analyzed`: a run that stored its signals never moves back (a duplicate delivery that meets an
 * outage must not make it deferred, abandoned or anything else). RETURNING the run's attempts,
 * first sighting and status, as written or as kept. No row at all only when the guarded row
 * committed after this statement's snapshot: it was analyzed.
 */
export const UPSERT_RUN_SQL = `
WITH written AS (${runUpsert(
  'VALUES ($1, $2, 1, $3, $4, COALESCE($5::int, 0), $6, $6, CASE WHEN $7::bool THEN $6::timestamptz END)',
  'COALESCE($5::int, r.signal_count)',
  "r.status <> 'analyzed'",
)}
  RETURNING attempts, first_seen_at, status
)
SELECT attempts, first_seen_at, status FROM written
UNION ALL
SELECT attempts, first_seen_at, status FROM risk_analysis_runs
WHERE match_id = $1 AND NOT EXISTS (SELECT 1 FROM written)`;

/**
 * The whole write of a batch of analysed matches (`$1`, see MATCHES) as one statement: one round
 * trip and one commit, atomic by itself. The upsert of UPSERT_SIGNALS_SQL, the review notifications
 * of QUEUE_REVIEWS_SQL (type `$2`, at most `$3` per match plus a summary), and one analysed run per match. One row per match: the signals
 * upserted, the outbox rows inserted or re-armed for it, and the upserted signals counted by detector
 * key and (merged) severity as a JSON array of StoredSignalCount.
 */
export const STORE_ANALYSIS_SQL = `
WITH batch AS (${MATCHES}), upserted AS (${UPSERT_SIGNALS_SQL}), outbox AS (${QUEUE_REVIEWS_SQL}), run AS (${runUpsert(
  `SELECT m."matchId", 'analyzed', 1, NULL, m."detectorVersion", json_array_length(m.signals), m.at, m.at, m.at
FROM batch m`,
  'EXCLUDED.signal_count',
)}
  RETURNING match_id
)
SELECT run.match_id,
       COALESCE((SELECT count(*) FROM upserted u WHERE u.match_id = run.match_id), 0)::int AS signal_count,
       COALESCE((SELECT count(*) FROM outbox o JOIN upserted u ON u.id = o.signal_id
                 WHERE u.match_id = run.match_id), 0)::int AS outbox_inserted,
       COALESCE((SELECT json_agg(json_build_object('detectorKey', g.detector_key, 'severity', g.severity, 'count', g.n)
                          ORDER BY g.detector_key, g.severity)
                 FROM (SELECT u.detector_key, u.severity, count(*)::int AS n FROM upserted u
                       WHERE u.match_id = run.match_id GROUP BY u.detector_key, u.severity) g), '[]') AS stored_signals
FROM run`;

/** Marks run `$1` abandoned with reason `$2` at `$3`, unless it finished meanwhile. */
export const ABANDON_RUN_SQL = `
UPDATE risk_analysis_runs SET status = 'abandoned', last_failure = $2, updated_at = $3, finished_at = $3
WHERE match_id = $1 AND status = 'deferred'
`;
