// The rows the PostgreSQL match store writes for each call the flow makes (the flow itself is
// tested against an in-memory store in analyze-match.test.ts).
import type { RiskSignal } from '@geoduels/risk-client/signals';
import type { TempDatabase } from '@geoduels/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/pool.js';
import { SIGNAL_QUEUED, signalDedupeKey } from '../notifications/outbox-payload.js';
import { sampleAnswer } from '../test-support/sample-answer.js';
import { createMigratedDatabase, seedMatch } from '../test-support/worker-harness.js';
import { directMatchStore } from './match-io.js';
import type { MatchStore } from './match-store.js';

let temp: TempDatabase;
let db: Database;
let store: MatchStore;
let seq = 0;

const A = '30000000-0000-4000-8000-00000000000a';
const B = '30000000-0000-4000-8000-00000000000b';
const T0 = new Date('2026-03-01T12:00:00.000Z');
const ENGINE_VERSION = 'engine-2026.03';

async function newMatch(): Promise<string> {
  seq += 1;
  const matchId = `40000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  await seedMatch(db, matchId, [
    { userId: A, displayName: 'Ada', events: [[1, 4000, 2000, 0.5, '2026-02-28T10:00:00Z']] },
    // No display name: review notifications name B by id.
    { userId: B, displayName: '', events: [[1, 3000, 6000, 0.1, '2026-02-28T10:00:00Z']] },
  ]);
  return matchId;
}

/** A normalised signal as the client hands it over, from subject A unless overridden. */
function signal(reasonCode: string, fields: Partial<RiskSignal> = {}): RiskSignal {
  return {
    subjectUserId: A,
    signalType: 'gameplay_integrity',
    detectorKey: null,
    detectorVersion: null,
    severity: 'low',
    evidenceStrength: 'weak',
    reasonCode,
    recommendedQueue: false,
    score: 0,
    payload: null,
    occurredAt: '2026-02-28T10:00:00.000Z',
    ...fields,
  };
}

function analysed(matchId: string, signals: RiskSignal[]) {
  return { matchId, detectorVersion: ENGINE_VERSION, signals, now: T0 };
}

async function signalRows(matchId: string) {
  const result = await db.pool.query(
    `SELECT subject_user_id, signal_type, source, severity, evidence_strength, detector_key, detector_version,
            reason_code, score, recommended_queue, reporter_user_id, payload_json,
            to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS occurred_at
     FROM moderation_signals WHERE match_id = $1 ORDER BY subject_user_id, reason_code`,
    [matchId],
  );
  return result.rows;
}

async function outboxRows(matchId: string) {
  const result = await db.pool.query(
    `SELECT o.type, o.dedupe_key, o.payload_json, o.attempts, o.sent_at, o.last_error,
            o.next_attempt_at <= now() AS due, s.id AS signal_id
     FROM notification_outbox o JOIN moderation_signals s ON (o.payload_json->>'signalId')::bigint = s.id
     WHERE s.match_id = $1 ORDER BY s.subject_user_id, s.reason_code`,
    [matchId],
  );
  return result.rows;
}

async function runRow(matchId: string) {
  const result = await db.pool.query(
    `SELECT status, attempts, last_failure, detector_version, signal_count,
            first_seen_at, finished_at IS NOT NULL AS finished
     FROM risk_analysis_runs WHERE match_id = $1`,
    [matchId],
  );
  return result.rows[0];
}

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('match_store'));
  store = directMatchStore(db);
});
afterAll(async () => {
  await db.pool.end();
  await temp.drop();
});

describe('the PostgreSQL match store', () => {
  it('stores the normalised signals, one outbox row per signal needing review, and the run', async () => {
    const matchId = await newMatch();
    const stored = await store.storeAnalysis(analysed(matchId, sampleAnswer(A, B).normalised));
    expect(stored).toEqual({
      signalCount: 3,
      outboxInserted: 2,
      storedSignals: [
        { detectorKey: 'fast_precise', severity: 'high', count: 1 },
        { detectorKey: 'pace', severity: 'low', count: 1 },
        { detectorKey: 'pace', severity: 'medium', count: 1 },
      ],
    });
    const common = { source: 'risk_engine', detector_version: 'd1', reporter_user_id: null };
    expect(await signalRows(matchId)).toEqual([
      {
        ...common,
        subject_user_id: A,
        signal_type: 'aim',
        severity: 'high',
        evidence_strength: 'strong',
        detector_key: 'fast_precise',
        reason_code: 'fast_and_precise',
        score: 0.91,
        recommended_queue: false,
        payload_json: { rounds: [1] },
        occurred_at: '2026-02-28T10:05:00Z',
      },
      {
        ...common,
        subject_user_id: B,
        signal_type: 'gameplay_integrity',
        severity: 'medium',
        evidence_strength: 'limited',
        detector_key: 'pace',
        reason_code: 'erratic',
        score: 0.4,
        recommended_queue: true,
        payload_json: {},
        occurred_at: '2026-02-28T10:07:00Z',
      },
      {
        ...common,
        subject_user_id: B,
        signal_type: 'gameplay_integrity',
        severity: 'low',
        evidence_strength: 'weak',
        detector_key: 'pace',
        reason_code: 'slow',
        score: 0.1,
        recommended_queue: false,
        payload_json: {},
        occurred_at: '2026-02-28T10:06:00Z',
      },
    ]);
    const outbox = await outboxRows(matchId);
    const [first, second] = outbox.map((row) => String(row.signal_id));
    expect(outbox.map(({ signal_id: _, ...row }) => row)).toEqual([
      {
        type: SIGNAL_QUEUED,
        dedupe_key: signalDedupeKey(first!),
        payload_json: {
          signalId: Number(first),
          subjectUserId: A,
          subjectName: 'Ada',
          severity: 'high',
          evidenceStrength: 'strong',
          reasonCode: 'fast_and_precise',
          occurredAt: '2026-02-28T10:05:00.000Z',
        },
        attempts: 0,
        sent_at: null,
        last_error: null,
        due: true,
      },
      {
        type: SIGNAL_QUEUED,
        dedupe_key: signalDedupeKey(second!),
        payload_json: {
          signalId: Number(second),
          subjectUserId: B,
          subjectName: B,
          severity: 'medium',
          evidenceStrength: 'limited',
          reasonCode: 'erratic',
          occurredAt: '2026-02-28T10:07:00.000Z',
        },
        attempts: 0,
        sent_at: null,
        last_error: null,
        due: true,
      },
    ]);
    expect(signalDedupeKey(first!)).toBe(`moderation_signal:${first}:queued`);
    expect(await runRow(matchId)).toEqual({
      status: 'analyzed',
      attempts: 1,
      last_failure: null,
      detector_version: ENGINE_VERSION,
      signal_count: 3,
      first_seen_at: T0,
      finished: true,
    });
  });

  it('merges a re-analysis into the same rows by every merge rule and queues a signal that became serious once', async () => {
    const matchId = await newMatch();
    const base = { detectorKey: 'k', detectorVersion: 'v1' };
    await store.storeAnalysis(
      analysed(matchId, [
        signal('r1', {
          ...base,
          severity: 'high',
          evidenceStrength: 'weak',
          score: 0.9,
          payload: { n: 1 },
          occurredAt: '2026-02-28T10:10:00.000Z',
        }),
        signal('r2', {
          ...base,
          severity: 'low',
          evidenceStrength: 'strong',
          score: 0.2,
          recommendedQueue: true,
          payload: { n: 1 },
        }),
        signal('r3', { ...base, severity: 'low', evidenceStrength: 'weak', score: 0.1 }),
      ]),
    );
    const second = await store.storeAnalysis(
      analysed(matchId, [
        // Lower severity, stronger evidence, lower score, newer payload, older time: keep/take per rule.
        signal('r1', {
          ...base,
          severity: 'medium',
          evidenceStrength: 'substantial',
          score: 0.5,
          payload: { n: 2 },
        }),
        // Recommended stays true once set; a missing payload replaces the stored one with {}.
        signal('r2', {
          ...base,
          severity: 'medium',
          evidenceStrength: 'weak',
          score: 0.7,
          occurredAt: '2026-02-28T10:20:00.000Z',
        }),
        // Was low: now critical, so it gets its (first) outbox row.
        signal('r3', { ...base, severity: 'critical', evidenceStrength: 'limited', score: 0.3 }),
      ]),
    );
    // r1's evidence and r2's severity and time changed (their rows are re-armed); r3 is new.
    expect(second).toMatchObject({ signalCount: 3, outboxInserted: 3 });
    // What the write reports it stored is each row's merged severity, not the severity just sent.
    expect(second.storedSignals).toEqual([
      { detectorKey: 'k', severity: 'critical', count: 1 },
      { detectorKey: 'k', severity: 'high', count: 1 },
      { detectorKey: 'k', severity: 'medium', count: 1 },
    ]);
    const rows = await signalRows(matchId);
    expect(
      rows.map((r) => [
        r.reason_code,
        r.severity,
        r.evidence_strength,
        r.score,
        r.recommended_queue,
        r.payload_json,
        r.occurred_at,
      ]),
    ).toEqual([
      ['r1', 'high', 'substantial', 0.9, false, { n: 2 }, '2026-02-28T10:10:00Z'],
      ['r2', 'medium', 'strong', 0.7, true, {}, '2026-02-28T10:20:00Z'],
      ['r3', 'critical', 'limited', 0.3, false, {}, '2026-02-28T10:00:00Z'],
    ]);
    const outbox = await outboxRows(matchId);
    expect(
      outbox.map((row) => [
        row.payload_json.reasonCode,
        row.payload_json.severity,
        row.payload_json.evidenceStrength,
        row.payload_json.occurredAt,
      ]),
    ).toEqual([
      ['r1', 'high', 'substantial', '2026-02-28T10:10:00.000Z'],
      ['r2', 'medium', 'strong', '2026-02-28T10:20:00.000Z'],
      ['r3', 'critical', 'limited', '2026-02-28T10:00:00.000Z'],
    ]);
    expect((await runRow(matchId))?.attempts).toBe(2);
  });

  it('collapses signals with the same dedupe key within one write, null detector fields included', async () => {
    const matchId = await newMatch();
    const signals = [
      signal('dup', { subjectUserId: B, severity: 'low', score: 0.2 }),
      signal('dup', { subjectUserId: B, severity: 'high', score: 0.1 }),
    ];
    const storedSignals = [{ detectorKey: null, severity: 'high', count: 1 }];
    expect(await store.storeAnalysis(analysed(matchId, signals))).toEqual({
      signalCount: 1,
      outboxInserted: 1,
      storedSignals,
    });
    expect(await store.storeAnalysis(analysed(matchId, signals))).toEqual({
      signalCount: 1,
      outboxInserted: 0,
      storedSignals,
    });
    const rows = await signalRows(matchId);
    expect(rows.map((r) => [r.detector_key, r.detector_version, r.severity, r.score])).toEqual([
      [null, null, 'high', 0.2],
    ]);
    expect(await outboxRows(matchId)).toHaveLength(1);
  });

  it('stores one row per dedupe key and one outbox row per queued signal when replicas write a match at once', async () => {
    const matchId = await newMatch();
    const signals = [
      signal('x', { severity: 'high', score: 0.5 }),
      signal('y', { subjectUserId: B, severity: 'critical', score: 0.6 }),
      signal('z', { subjectUserId: B, severity: 'low', score: 0.1 }),
    ];
    const replicas = [directMatchStore(db), directMatchStore(db), directMatchStore(db), directMatchStore(db)];
    const stored = await Promise.all(replicas.map((r) => r.storeAnalysis(analysed(matchId, signals))));
    expect(stored.reduce((sum, s) => sum + s.outboxInserted, 0)).toBe(2);
    expect(await signalRows(matchId)).toHaveLength(3);
    expect(await outboxRows(matchId)).toHaveLength(2);
    expect(await runRow(matchId)).toMatchObject({ status: 'analyzed', attempts: 4 });
  });

  it('re-arms a sent review notification when a re-analysis changes it, and leaves it alone when the analysis is redelivered unchanged', async () => {
    const matchId = await newMatch();
    const first = signal('rearm', {
      detectorKey: 'k',
      detectorVersion: 'v1',
      severity: 'high',
      evidenceStrength: 'limited',
      score: 0.5,
      occurredAt: '2026-02-28T11:00:00.000Z',
    });
    await store.storeAnalysis(analysed(matchId, [first]));
    await db.pool.query(
      `UPDATE notification_outbox SET sent_at = now(), attempts = 3, last_error = 'earlier failure',
              next_attempt_at = now() + interval '1 hour'
       WHERE (payload_json->>'signalId')::bigint IN (SELECT id FROM moderation_signals WHERE match_id = $1)`,
      [matchId],
    );

    // Redelivered with the same answer: nothing to tell the moderators again.
    expect(await store.storeAnalysis(analysed(matchId, [first]))).toMatchObject({ outboxInserted: 0 });
    const [untouched] = await outboxRows(matchId);
    expect(untouched).toMatchObject({ attempts: 3, last_error: 'earlier failure', due: false });
    expect(untouched.sent_at).not.toBeNull();

    // The engine now says critical: the row is re-armed with the new payload, its attempts kept.
    expect(await store.storeAnalysis(analysed(matchId, [{ ...first, severity: 'critical' }]))).toMatchObject({
      outboxInserted: 1,
    });
    const [rearmed] = await outboxRows(matchId);
    expect(rearmed).toMatchObject({ attempts: 3, sent_at: null, last_error: null, due: true });
    expect(rearmed.payload_json).toMatchObject({ severity: 'critical', subjectName: 'Ada' });
    expect(await outboxRows(matchId)).toHaveLength(1);
  });

  it("never re-arms or rewrites another service's outbox row that holds the same dedupe key", async () => {
    const matchId = await newMatch();
    const first = signal('foreign', { severity: 'high', score: 0.5, occurredAt: '2026-02-28T12:00:00.000Z' });
    await store.storeAnalysis(analysed(matchId, [first]));
    // Another service owns a row under this key (its type, already delivered).
    await db.pool.query(
      `UPDATE notification_outbox SET type = 'moderation_incident_queued', sent_at = now(), attempts = 1
       WHERE (payload_json->>'signalId')::bigint IN (SELECT id FROM moderation_signals WHERE match_id = $1)`,
      [matchId],
    );
    const before = await db.pool.query(
      `SELECT o.*, o.xmin::text AS version FROM notification_outbox o WHERE o.type = 'moderation_incident_queued'`,
    );
    expect(await store.storeAnalysis(analysed(matchId, [{ ...first, severity: 'critical' }]))).toMatchObject({
      outboxInserted: 0,
    });
    const after = await db.pool.query(
      `SELECT o.*, o.xmin::text AS version FROM notification_outbox o WHERE o.type = 'moderation_incident_queued'`,
    );
    expect(after.rows).toEqual(before.rows);
  });

  it('records skipped, unknown, empty and rejected runs as finished, with why', async () => {
    const disabled = await newMatch();
    const unknown = '40000000-0000-4000-8000-0000000000ff';
    const empty = '40000000-0000-4000-8000-0000000000fe';
    await seedMatch(db, empty, []);
    const rejected = await newMatch();
    const run = (
      matchId: string,
      status: 'skipped_disabled' | 'skipped_no_facts' | 'rejected',
      why: string | null,
    ) => store.recordRun({ matchId, status, lastFailure: why, now: T0 });
    await run(disabled, 'skipped_disabled', null);
    await run(unknown, 'skipped_no_facts', 'unknown_match');
    await run(empty, 'skipped_no_facts', 'no_ranked_events');
    await run(rejected, 'rejected', 'engine answered 422: bad facts');
    expect(await runRow(disabled)).toMatchObject({
      status: 'skipped_disabled',
      last_failure: null,
      finished: true,
    });
    expect(await runRow(unknown)).toMatchObject({
      status: 'skipped_no_facts',
      last_failure: 'unknown_match',
    });
    expect(await runRow(empty)).toMatchObject({
      status: 'skipped_no_facts',
      last_failure: 'no_ranked_events',
    });
    const rejectedRun = await runRow(rejected);
    expect(rejectedRun).toMatchObject({ status: 'rejected', finished: true });
    expect(rejectedRun?.last_failure).toMatch(/^engine answered 422: /);
  });

  it('records a deferral unfinished with its reason and no signals, then the analysis after it as the next attempt', async () => {
    const matchId = await newMatch();
    expect(await store.recordRun({ matchId, status: 'deferred', lastFailure: 'http_5xx', now: T0 })).toEqual({
      attempts: 1,
      firstSeenAt: T0,
      status: 'deferred',
    });
    expect(await runRow(matchId)).toMatchObject({
      status: 'deferred',
      last_failure: 'http_5xx',
      finished: false,
    });
    expect(await signalRows(matchId)).toEqual([]);

    const later = await store.storeAnalysis(
      analysed(matchId, [signal('after_recovery', { severity: 'high', score: 1 })]),
    );
    expect(later).toMatchObject({ signalCount: 1 });
    expect(await runRow(matchId)).toMatchObject({ status: 'analyzed', attempts: 2, last_failure: null });
  });

  it('keeps a deferred run first sighting, and abandons it with the last reason only while deferred', async () => {
    const matchId = await newMatch();
    const runs = [];
    for (const hours of [0, 23, 24]) {
      const now = new Date(T0.getTime() + hours * 3_600_000);
      runs.push(await store.recordRun({ matchId, status: 'deferred', lastFailure: 'http_5xx', now }));
    }
    expect(runs).toEqual([1, 2, 3].map((attempts) => ({ attempts, firstSeenAt: T0, status: 'deferred' })));
    const at = new Date(T0.getTime() + 24 * 3_600_000);
    expect(await store.abandonRun(matchId, 'breaker_open', at)).toBe(true);
    expect(await runRow(matchId)).toMatchObject({
      status: 'abandoned',
      last_failure: 'breaker_open',
      finished: true,
    });
    expect(await store.abandonRun(matchId, 'http_5xx', at)).toBe(false);
  });
  it('never moves an analysed run back: a later deferral, rejection or refusal leaves the row as it was', async () => {
    const matchId = await newMatch();
    await store.storeAnalysis(analysed(matchId, [signal('kept', { severity: 'high' })]));
    const before = await runRow(matchId);
    expect(before).toMatchObject({ status: 'analyzed', attempts: 1 });
    for (const status of ['deferred', 'rejected', 'unstorable', 'skipped_disabled'] as const) {
      const later = new Date(T0.getTime() + 3_600_000);
      expect(await store.recordRun({ matchId, status, lastFailure: 'later', now: later })).toMatchObject({
        status: 'analyzed',
        attempts: 1,
      });
    }
    expect(await store.abandonRun(matchId, 'http_5xx', T0)).toBe(false);
    expect(await runRow(matchId)).toEqual(before);
  });

  it('records an unstorable answer and an unsendable request as finished runs with what was refused', async () => {
    const refused = await newMatch();
    const unsent = await newMatch();
    await store.recordRun({
      matchId: refused,
      status: 'unstorable',
      lastFailure: '22P05: bad escape',
      now: T0,
    });
    await store.recordRun({
      matchId: unsent,
      status: 'skipped_invalid_request',
      lastFailure: 'too_many_players: players: too big (65 sent)',
      now: T0,
    });
    expect(await runRow(refused)).toMatchObject({
      status: 'unstorable',
      last_failure: '22P05: bad escape',
      finished: true,
    });
    expect(await runRow(unsent)).toMatchObject({ status: 'skipped_invalid_request', finished: true });
  });
});
