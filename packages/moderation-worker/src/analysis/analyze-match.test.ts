import type { FakeRiskEngine } from '@geoduels/fake-risk-engine';
import type { RiskClient } from '@geoduels/risk-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/pool.js';
import { SIGNAL_QUEUED, signalDedupeKey } from '../notifications/outbox-payload.js';
import type { TempDatabase } from '../test-support/services.js';
import {
  clientFor,
  createMigratedDatabase,
  scriptedDetector,
  seedMatch,
  startScriptedEngine,
} from '../test-support/worker-harness.js';
import { analyzeMatch } from './analyze-match.js';

let temp: TempDatabase;
let db: Database;
let engine: FakeRiskEngine;
const detector = scriptedDetector();
const clients: RiskClient[] = [];
let seq = 0;

const A = '30000000-0000-4000-8000-00000000000a';
const B = '30000000-0000-4000-8000-00000000000b';
const T0 = new Date('2026-03-01T12:00:00.000Z');

function client(options: { breakerResetMs?: number } = {}): RiskClient {
  const made = clientFor(engine.url, options);
  clients.push(made);
  return made;
}

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

function deps(analyzer: RiskClient, now = () => T0, maxDeferMs = 24 * 3_600_000) {
  return { db, analyzer, now, maxDeferMs };
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
  ({ temp, db } = await createMigratedDatabase('analyze'));
  engine = await startScriptedEngine(detector);
});
afterEach(async () => {
  engine.reset();
  detector.signals = [];
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await engine.stop();
  await db.pool.end();
  await temp.drop();
});

describe('analysing a match', () => {
  it('stores the normalised signals, one outbox row per signal needing review, and the run', async () => {
    const matchId = await newMatch();
    detector.signals = [
      {
        subjectUserId: A,
        signalType: 'aim',
        detectorKey: 'fast_precise',
        detectorVersion: 'd1',
        severity: 'HIGH',
        evidenceStrength: 'very_high',
        reasonCode: 'fast_and_precise',
        recommendedQueue: false,
        score: 0.91,
        payload: { rounds: [1] },
        occurredAt: '2026-02-28T10:05:00Z',
      },
      {
        subjectUserId: B,
        signalType: '',
        detectorKey: 'pace',
        detectorVersion: 'd1',
        severity: 'low',
        evidenceStrength: 'weak',
        reasonCode: 'slow',
        recommendedQueue: false,
        score: 0.1,
        occurredAt: '2026-02-28T10:06:00Z',
      },
      {
        subjectUserId: B,
        detectorKey: 'pace',
        detectorVersion: 'd1',
        severity: 'medium',
        evidenceStrength: 'medium',
        reasonCode: 'erratic',
        recommendedQueue: true,
        score: 0.4,
        occurredAt: '2026-02-28T10:07:00Z',
      },
      { subjectUserId: '30000000-0000-4000-8000-0000000000ff', reasonCode: 'not_a_player', score: 1 },
    ];
    const analyzer = client();
    const outcome = await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 });
    expect(outcome).toEqual({
      kind: 'analyzed',
      signalCount: 3,
      outboxInserted: 2,
      droppedSignals: 1,
      detectorVersion: engine.detectorVersion,
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
      detector_version: engine.detectorVersion,
      signal_count: 3,
      first_seen_at: T0,
      finished: true,
    });
  });

  it('merges a re-analysis into the same rows by every merge rule and queues a signal that became serious once', async () => {
    const matchId = await newMatch();
    const base = { subjectUserId: A, detectorKey: 'k', detectorVersion: 'v1' };
    detector.signals = [
      {
        ...base,
        reasonCode: 'r1',
        severity: 'high',
        evidenceStrength: 'weak',
        score: 0.9,
        recommendedQueue: false,
        payload: { n: 1 },
        occurredAt: '2026-02-28T10:10:00Z',
      },
      {
        ...base,
        reasonCode: 'r2',
        severity: 'low',
        evidenceStrength: 'strong',
        score: 0.2,
        recommendedQueue: true,
        payload: { n: 1 },
        occurredAt: '2026-02-28T10:00:00Z',
      },
      {
        ...base,
        reasonCode: 'r3',
        severity: 'low',
        evidenceStrength: 'weak',
        score: 0.1,
        recommendedQueue: false,
        occurredAt: '2026-02-28T10:00:00Z',
      },
    ];
    const analyzer = client();
    await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 });
    detector.signals = [
      // Lower severity, stronger evidence, lower score, newer payload, older time: keep/take per rule.
      {
        ...base,
        reasonCode: 'r1',
        severity: 'medium',
        evidenceStrength: 'substantial',
        score: 0.5,
        recommendedQueue: false,
        payload: { n: 2 },
        occurredAt: '2026-02-28T10:00:00Z',
      },
      // Recommended stays true once set; a missing payload replaces the stored one with {}.
      {
        ...base,
        reasonCode: 'r2',
        severity: 'medium',
        evidenceStrength: 'weak',
        score: 0.7,
        recommendedQueue: false,
        occurredAt: '2026-02-28T10:20:00Z',
      },
      // Was low: now critical, so it gets its (first) outbox row.
      {
        ...base,
        reasonCode: 'r3',
        severity: 'critical',
        evidenceStrength: 'limited',
        score: 0.3,
        recommendedQueue: false,
        occurredAt: '2026-02-28T10:00:00Z',
      },
    ];
    const second = await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 });
    // r1's evidence and r2's severity and time changed (their rows are re-armed); r3 is new.
    expect(second).toMatchObject({ kind: 'analyzed', signalCount: 3, outboxInserted: 3 });
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

  it('collapses signals with the same dedupe key within one answer, null detector fields included', async () => {
    const matchId = await newMatch();
    const occurredAt = '2026-02-28T10:30:00Z';
    detector.signals = [
      { subjectUserId: B, reasonCode: 'dup', severity: 'low', score: 0.2, occurredAt },
      { subjectUserId: B, reasonCode: 'dup', severity: 'high', score: 0.1, occurredAt },
    ];
    const analyzer = client();
    expect(await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 })).toMatchObject({
      signalCount: 1,
      outboxInserted: 1,
    });
    expect(await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 })).toMatchObject({
      signalCount: 1,
      outboxInserted: 0,
    });
    const rows = await signalRows(matchId);
    expect(rows.map((r) => [r.detector_key, r.detector_version, r.severity, r.score])).toEqual([
      [null, null, 'high', 0.2],
    ]);
    expect(await outboxRows(matchId)).toHaveLength(1);
  });

  it('stores one row per dedupe key and one outbox row per queued signal when replicas analyse a match at once', async () => {
    const matchId = await newMatch();
    const occurredAt = '2026-02-28T10:40:00Z';
    detector.signals = [
      { subjectUserId: A, reasonCode: 'x', severity: 'high', score: 0.5, occurredAt },
      { subjectUserId: B, reasonCode: 'y', severity: 'critical', score: 0.6, occurredAt },
      { subjectUserId: B, reasonCode: 'z', severity: 'low', score: 0.1, occurredAt },
    ];
    const replicas = [client(), client(), client(), client()];
    const outcomes = await Promise.all(
      replicas.map((r) => analyzeMatch(deps(r), { matchId, enqueuedAt: T0 })),
    );
    expect(outcomes.every((o) => o.kind === 'analyzed')).toBe(true);
    expect(outcomes.reduce((sum, o) => sum + (o.kind === 'analyzed' ? o.outboxInserted : 0), 0)).toBe(2);
    expect(await signalRows(matchId)).toHaveLength(3);
    expect(await outboxRows(matchId)).toHaveLength(2);
    expect(await runRow(matchId)).toMatchObject({ status: 'analyzed', attempts: 4 });
  });

  it('re-arms a sent review notification when a re-analysis changes it, and leaves it alone when the analysis is redelivered unchanged', async () => {
    const matchId = await newMatch();
    const signal = {
      subjectUserId: A,
      detectorKey: 'k',
      detectorVersion: 'v1',
      reasonCode: 'rearm',
      severity: 'high',
      evidenceStrength: 'limited',
      score: 0.5,
      occurredAt: '2026-02-28T11:00:00Z',
    };
    detector.signals = [signal];
    const analyzer = client();
    await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 });
    const markSent = () =>
      db.pool.query(
        `UPDATE notification_outbox SET sent_at = now(), attempts = 3, last_error = 'earlier failure',
                next_attempt_at = now() + interval '1 hour'
         WHERE (payload_json->>'signalId')::bigint IN (SELECT id FROM moderation_signals WHERE match_id = $1)`,
        [matchId],
      );
    await markSent();

    // Redelivered with the same answer: nothing to tell the moderators again.
    expect(await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 })).toMatchObject({
      outboxInserted: 0,
    });
    const [untouched] = await outboxRows(matchId);
    expect(untouched).toMatchObject({ attempts: 3, last_error: 'earlier failure', due: false });
    expect(untouched.sent_at).not.toBeNull();

    // The engine now says critical: the row is re-armed with the new payload, its attempts kept.
    detector.signals = [{ ...signal, severity: 'critical' }];
    expect(await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 })).toMatchObject({
      outboxInserted: 1,
    });
    const [rearmed] = await outboxRows(matchId);
    expect(rearmed).toMatchObject({ attempts: 3, sent_at: null, last_error: null, due: true });
    expect(rearmed.payload_json).toMatchObject({ severity: 'critical', subjectName: 'Ada' });
    expect(await outboxRows(matchId)).toHaveLength(1);
  });

  it('spends one read and one write statement per analysed match, and two statements per deferral', async () => {
    const statements: string[] = [];
    const record = (config: unknown) => {
      const text = typeof config === 'string' ? config : (config as { text: string }).text;
      statements.push(text.trim().split(/\s+/).slice(0, 2).join(' '));
    };
    const counting = {
      query: (config: never, values?: never) => {
        record(config);
        return db.pool.query(config, values);
      },
      connect: async () => {
        const client = await db.pool.connect();
        return {
          query: (config: never, values?: never) => {
            record(config);
            return client.query(config, values);
          },
          release: () => client.release(),
        };
      },
    } as unknown as Database['pool'];
    const countedDb = { pool: counting, namedStatements: true };
    const matchId = await newMatch();
    detector.signals = [{ subjectUserId: A, reasonCode: 'budget', severity: 'high', score: 1 }];
    const analyzer = client();
    await analyzeMatch({ ...deps(analyzer), db: countedDb }, { matchId, enqueuedAt: T0 });
    expect(statements).toEqual(['WITH active_season', 'WITH batch']);

    statements.length = 0;
    engine.setFault({ kind: 'status', code: 503, times: 1 });
    await analyzeMatch({ ...deps(analyzer), db: countedDb }, { matchId, enqueuedAt: T0 });
    expect(statements).toEqual(['WITH active_season', 'INSERT INTO']);
  });

  it('records skipped_disabled without calling anything when the engine is disabled', async () => {
    const matchId = await newMatch();
    const disabled = clientFor(null);
    clients.push(disabled);
    expect(await analyzeMatch(deps(disabled), { matchId, enqueuedAt: T0 })).toEqual({
      kind: 'skipped_disabled',
    });
    expect(await runRow(matchId)).toMatchObject({
      status: 'skipped_disabled',
      last_failure: null,
      finished: true,
    });
    expect(engine.requestCount()).toBe(0);
  });

  it('records an unknown match and a match without events without calling the engine', async () => {
    const unknown = '40000000-0000-4000-8000-0000000000ff';
    const empty = '40000000-0000-4000-8000-0000000000fe';
    await seedMatch(db, empty, []);
    const analyzer = client();
    expect(await analyzeMatch(deps(analyzer), { matchId: unknown, enqueuedAt: T0 })).toEqual({
      kind: 'skipped_no_facts',
      reason: 'unknown_match',
    });
    expect(await analyzeMatch(deps(analyzer), { matchId: empty, enqueuedAt: T0 })).toEqual({
      kind: 'skipped_no_facts',
      reason: 'no_ranked_events',
    });
    expect(await runRow(unknown)).toMatchObject({
      status: 'skipped_no_facts',
      last_failure: 'unknown_match',
    });
    expect(await runRow(empty)).toMatchObject({
      status: 'skipped_no_facts',
      last_failure: 'no_ranked_events',
    });
    expect(engine.requestCount()).toBe(0);
  });

  const faults = [
    ['timeout', { kind: 'hang' }],
    ['http_5xx', { kind: 'status', code: 503 }],
    ['rate_limited', { kind: 'rate_limit', retryAfter: 7 }],
    ['unauthorized', { kind: 'unauthorized' }],
    ['invalid_response', { kind: 'malformed_json' }],
    ['invalid_response', { kind: 'schema_invalid' }],
    ['invalid_response', { kind: 'oversized' }],
  ] as const;
  for (const [reason, fault] of faults) {
    it(`defers on ${reason} (${fault.kind}) storing nothing, then analyses the match after recovery`, async () => {
      const matchId = await newMatch();
      detector.signals = [{ subjectUserId: A, reasonCode: 'after_recovery', severity: 'high', score: 1 }];
      engine.setFault({ ...fault, times: 1 });
      const analyzer = client();
      const deferred = await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 });
      expect(deferred).toMatchObject({ kind: 'deferred', reason, attempts: 1 });
      if (reason === 'rate_limited') expect(deferred).toMatchObject({ retryAfterMs: 7_000 });
      expect(await runRow(matchId)).toMatchObject({
        status: 'deferred',
        last_failure: reason,
        finished: false,
      });
      expect(await signalRows(matchId)).toEqual([]);

      const later = await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 });
      expect(later).toMatchObject({ kind: 'analyzed', signalCount: 1 });
      expect(await runRow(matchId)).toMatchObject({ status: 'analyzed', attempts: 2, last_failure: null });
    });
  }

  it('defers on network errors while the engine refuses connections', async () => {
    const matchId = await newMatch();
    const analyzer = client();
    await engine.down();
    try {
      expect(await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 })).toMatchObject({
        kind: 'deferred',
        reason: 'network',
      });
    } finally {
      await engine.up();
    }
    expect(await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 })).toMatchObject({
      kind: 'analyzed',
    });
  });

  it('abandons a match still deferred after the maximum deferral, measured from its first sighting', async () => {
    const matchId = await newMatch();
    engine.setFault({ kind: 'status', code: 500 });
    let clock = T0;
    const flow = deps(client(), () => clock, 24 * 3_600_000);
    expect(await analyzeMatch(flow, { matchId, enqueuedAt: T0 })).toMatchObject({ kind: 'deferred' });
    clock = new Date(T0.getTime() + 23 * 3_600_000);
    expect(await analyzeMatch(flow, { matchId, enqueuedAt: T0 })).toMatchObject({ kind: 'deferred' });
    clock = new Date(T0.getTime() + 24 * 3_600_000);
    const abandoned = await analyzeMatch(flow, { matchId, enqueuedAt: T0 });
    // The breaker may have opened after two 500s; the last reason is recorded either way.
    expect(abandoned).toMatchObject({ kind: 'abandoned', attempts: 3 });
    const reason = abandoned.kind === 'abandoned' ? abandoned.reason : null;
    expect(['http_5xx', 'breaker_open']).toContain(reason);
    expect(await runRow(matchId)).toMatchObject({
      status: 'abandoned',
      last_failure: reason,
      finished: true,
    });
  });

  it('records a rejected request with the engine detail and leaves the breaker closed', async () => {
    const matchId = await newMatch();
    engine.setFault({ kind: 'status', code: 422 });
    const analyzer = client();
    for (let i = 0; i < 3; i += 1) {
      expect(await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 })).toMatchObject({
        kind: 'rejected',
        httpStatus: 422,
      });
    }
    expect(analyzer.state).toBe('closed');
    const run = await runRow(matchId);
    expect(run).toMatchObject({ status: 'rejected', finished: true });
    expect(run?.last_failure).toMatch(/^engine answered 422: /);
  });
});
