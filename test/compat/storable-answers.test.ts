// "Every accepted answer can be stored": the risk client's normalisation, fed hundreds of generated
// hostile answers, returns only what a real PostgreSQL stores, and stores exactly: into the
// production-shaped moderation_signals table (its checks, foreign keys and detector dedupe index)
// through json_to_recordset, as the worker's one-statement write does, and as plain parameters
// into text, jsonb and timestamptz columns. The same poison, unnormalised, is refused.
import {
  analyzeResponseSchema,
  type NormalizedAnswer,
  normalizeAnswer,
  REPAIR_REASONS,
  secretRedactor,
} from '@geoduels/risk-client';
import { applyApiSchema, createTempDatabase, type TempDatabase } from '@geoduels/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileAnswer, seededRandom } from '../support/hostile-answers.js';

const PLAYERS = ['0c5a0c5a-0000-4000-8000-0000000000a1', '0c5a0c5a-0000-4000-8000-0000000000b2'];
const TOKEN = 'storable-test-token-5f0e1d2c';
const NOW = new Date('2026-06-01T12:00:00.000Z');
const ANSWERS = 400;

let database: TempDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTempDatabase('storable_answers');
  await applyApiSchema(database.url);
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  await pool.query(`INSERT INTO users (id, display_name) SELECT unnest($1::uuid[]), 'player'`, [PLAYERS]);
  await pool.query(`
    CREATE TABLE answer_versions (detector_version text NOT NULL, facts_version text NOT NULL);
    CREATE TABLE stored_signals (
      subject_user_id uuid NOT NULL, signal_type text NOT NULL, detector_key text, detector_version text,
      severity text NOT NULL, evidence_strength text NOT NULL, reason_code text NOT NULL, score float8 NOT NULL,
      recommended_queue boolean NOT NULL, payload_json jsonb, occurred_at timestamptz NOT NULL);`);
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

// The worker's write: the whole answer as one JSON document, read by json_to_recordset (PostgreSQL's
// JSON parser sees every escape the client's JSON.stringify writes).
const INSERT_AS_DOCUMENT = `
INSERT INTO moderation_signals (subject_user_id, signal_type, source, severity, evidence_strength, detector_key,
  detector_version, reason_code, score, recommended_queue, payload_json, occurred_at)
SELECT u."subjectUserId", u."signalType", 'risk_engine', u.severity, u."evidenceStrength", u."detectorKey",
       u."detectorVersion", u."reasonCode", u.score, u."recommendedQueue", COALESCE(u.payload, '{}'::jsonb), u."occurredAt"
FROM json_to_recordset($1::json) AS u("subjectUserId" uuid, "signalType" text, severity text, "evidenceStrength" text,
  "detectorKey" text, "detectorVersion" text, "reasonCode" text, score float8, "recommendedQueue" bool, payload jsonb,
  "occurredAt" timestamptz)
ON CONFLICT (subject_user_id, coalesce(match_id, '00000000-0000-0000-0000-000000000000'::uuid),
             coalesce(detector_key, ''), coalesce(detector_version, ''), reason_code)
  WHERE source = 'risk_engine' DO NOTHING`;

const INSERT_AS_PARAMETERS = `
INSERT INTO stored_signals VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::timestamptz)
RETURNING signal_type, detector_key, detector_version, reason_code, score, payload_json,
  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at`;

// Stores one normalised answer both ways inside a transaction that is rolled back, and returns what
// PostgreSQL gave back for the parameter path.
async function store(answer: NormalizedAnswer): Promise<Record<string, unknown>[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO answer_versions VALUES ($1, $2)', [
      answer.detectorVersion,
      answer.factsVersion,
    ]);
    await client.query(INSERT_AS_DOCUMENT, [JSON.stringify(answer.signals)]);
    const rows: Record<string, unknown>[] = [];
    for (const s of answer.signals) {
      const { rows: returned } = await client.query(INSERT_AS_PARAMETERS, [
        s.subjectUserId,
        s.signalType,
        s.detectorKey,
        s.detectorVersion,
        s.severity,
        s.evidenceStrength,
        s.reasonCode,
        s.score,
        s.recommendedQueue,
        s.payload === null ? null : JSON.stringify(s.payload),
        s.occurredAt,
      ]);
      rows.push(returned[0]!);
    }
    return rows;
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

describe('every ok answer the normaliser produces can be stored by PostgreSQL', () => {
  it(`stores, exactly, each of ${ANSWERS} generated hostile answers once normalised`, async () => {
    const random = seededRandom(13);
    const redact = secretRedactor(TOKEN);
    const repaired = Object.fromEntries(REPAIR_REASONS.map((r) => [r, 0])) as Record<string, number>;
    let signals = 0;
    let droppedSignals = 0;
    let droppedPayloads = 0;
    for (let i = 0; i < ANSWERS; i++) {
      const raw = hostileAnswer(random, { playerIds: PLAYERS, token: TOKEN });
      const parsed = analyzeResponseSchema.safeParse(raw);
      expect(parsed.success, `answer ${i} is schema-valid`).toBe(true);
      if (!parsed.success) continue;
      const answer = normalizeAnswer(parsed.data, { playerIds: new Set(PLAYERS), now: NOW, redact });
      let stored: Record<string, unknown>[];
      try {
        stored = await store(answer);
      } catch (error) {
        throw new Error(
          `answer ${i} could not be stored: ${(error as Error).message}\n${JSON.stringify(answer)}`,
        );
      }
      // Stored exactly: what comes back is what the client returned.
      expect(stored, `answer ${i}`).toEqual(
        answer.signals.map((s) => ({
          signal_type: s.signalType,
          detector_key: s.detectorKey,
          detector_version: s.detectorVersion,
          reason_code: s.reasonCode,
          score: s.score,
          payload_json: s.payload,
          occurred_at: s.occurredAt,
        })),
      );
      expect(JSON.stringify(answer)).not.toContain(TOKEN);
      signals += answer.signals.length;
      droppedSignals += answer.dropped;
      droppedPayloads += answer.droppedPayloads;
      for (const reason of REPAIR_REASONS) repaired[reason]! += answer.counts.repaired[reason];
    }
    // The corpus really is hostile: every kind of repair and drop happened, and hundreds of signals were kept.
    for (const reason of REPAIR_REASONS) expect(repaired[reason], reason).toBeGreaterThan(0);
    expect(droppedSignals).toBeGreaterThan(0);
    expect(droppedPayloads).toBeGreaterThan(0);
    expect(signals).toBeGreaterThan(ANSWERS);
  });

  it.each<[string, string, unknown[]]>([
    ['a time in year 0000', 'SELECT $1::timestamptz', ['0000-01-01T00:00:00.000Z']],
    [
      'a time past year 9999 as JavaScript writes it',
      'SELECT $1::timestamptz',
      ['+010000-01-01T00:00:00.000Z'],
    ],
    [
      'a lone surrogate in the JSON document',
      'SELECT * FROM json_to_recordset($1::json) AS u(r text)',
      [JSON.stringify([{ r: '\ud800' }])],
    ],
    [
      'a NUL in the JSON document',
      'SELECT * FROM json_to_recordset($1::json) AS u(r text)',
      [JSON.stringify([{ r: 'a\u0000' }])],
    ],
    ['a NUL in a jsonb key', 'SELECT $1::jsonb', [JSON.stringify({ 'k\u0000': 1 })]],
    ['a NUL in text', 'SELECT $1::text', ['v\u0000']],
  ])('(control) PostgreSQL refuses the raw poison: %s', async (_name, sql, params) => {
    await expect(pool.query(sql, params)).rejects.toMatchObject({ code: expect.stringMatching(/^22/) });
  });
});
