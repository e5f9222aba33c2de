// The flow against an in-memory store: what it asks the store, and what it makes of the answers.
// The rows PostgreSQL writes for each call are tested in match-store.test.ts.
import type { FakeRiskEngine } from '@geoduels/fake-risk-engine';
import type { RiskClient } from '@geoduels/risk-client';
import { FACTS_VERSION, type GuessEvent } from '@geoduels/risk-client/signals';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type InMemoryMatchStore, inMemoryMatchStore } from '../test-support/in-memory-match-store.js';
import { sampleAnswer } from '../test-support/sample-answer.js';
import { clientFor, scriptedDetector, startScriptedEngine } from '../test-support/worker-harness.js';
import { analyzeMatch } from './analyze-match.js';
import type { AnalysisToStore } from './match-store.js';

let engine: FakeRiskEngine;
let store: InMemoryMatchStore;
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

function guess(matchId: string, score: number, guessMs: number, evidence: number): GuessEvent {
  return { matchId, roundNumber: 1, score, guessMs, evidence, occurredAt: '2026-02-28T10:00:00.000Z' };
}

/** A match whose facts the store holds: players A and B with one guess each. */
function newMatch(): string {
  seq += 1;
  const matchId = `40000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  store.script.facts.set(matchId, {
    kind: 'facts',
    request: {
      matchId,
      factsVersion: FACTS_VERSION,
      generatedAt: T0.toISOString(),
      players: [
        { userId: A, events: [guess(matchId, 4000, 2000, 0.5)] },
        { userId: B, events: [guess(matchId, 3000, 6000, 0.1)] },
      ],
    },
  });
  return matchId;
}

function deps(analyzer: RiskClient, now = () => T0, maxDeferMs = 24 * 3_600_000) {
  return { store, analyzer, now, maxDeferMs };
}

/** The analyses the store was asked to write, in order. */
function writes(): AnalysisToStore[] {
  return store.calls.flatMap((call) => (call.method === 'storeAnalysis' ? [call.analysis] : []));
}

/** The run records the store was asked to write, in order. */
function runRecords() {
  return store.calls.flatMap((call) => (call.method === 'recordRun' ? [call.record] : []));
}

beforeAll(async () => {
  engine = await startScriptedEngine(detector);
});
beforeEach(() => {
  store = inMemoryMatchStore();
});
afterEach(async () => {
  engine.reset();
  detector.signals = [];
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await engine.stop();
});

describe('analysing a match', () => {
  it('hands the normalised signals to the store in one write and reports its counts with the dropped ones', async () => {
    const matchId = newMatch();
    const answer = sampleAnswer(A, B);
    detector.signals = answer.raw;
    const storedSignals = [{ detectorKey: 'pace', severity: 'low' as const, count: 3 }];
    store.script.storeAnalysis = () => ({ signalCount: 3, outboxInserted: 2, storedSignals });
    const outcome = await analyzeMatch(deps(client()), { matchId, enqueuedAt: T0 });
    expect(outcome).toEqual({
      kind: 'analyzed',
      signalCount: 3,
      outboxInserted: 2,
      storedSignals,
      droppedSignals: 1,
      detectorVersion: engine.detectorVersion,
    });
    expect(store.calls).toEqual([
      { method: 'loadFacts', matchId, now: T0 },
      {
        method: 'storeAnalysis',
        analysis: { matchId, detectorVersion: engine.detectorVersion, signals: answer.normalised, now: T0 },
      },
    ]);
  });

  it('hands a re-analysis to the store as a new write of the new answer and reports what the store merged', async () => {
    const matchId = newMatch();
    const base = { subjectUserId: A, detectorKey: 'k', detectorVersion: 'v1' };
    detector.signals = [
      {
        ...base,
        reasonCode: 'r1',
        severity: 'high',
        evidenceStrength: 'weak',
        score: 0.9,
        payload: { n: 1 },
      },
      {
        ...base,
        reasonCode: 'r2',
        severity: 'low',
        evidenceStrength: 'strong',
        score: 0.2,
        recommendedQueue: true,
      },
      { ...base, reasonCode: 'r3', severity: 'low', evidenceStrength: 'weak', score: 0.1 },
    ];
    const analyzer = client();
    await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 });
    detector.signals = [
      {
        ...base,
        reasonCode: 'r1',
        severity: 'medium',
        evidenceStrength: 'substantial',
        score: 0.5,
        payload: { n: 2 },
      },
      { ...base, reasonCode: 'r2', severity: 'medium', evidenceStrength: 'weak', score: 0.7 },
      { ...base, reasonCode: 'r3', severity: 'critical', evidenceStrength: 'limited', score: 0.3 },
    ];
    store.script.storeAnalysis = () => ({ signalCount: 3, outboxInserted: 1, storedSignals: [] });
    const second = await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 });
    expect(second).toMatchObject({ kind: 'analyzed', signalCount: 3, outboxInserted: 1 });
    expect(store.methods()).toEqual(['loadFacts', 'storeAnalysis', 'loadFacts', 'storeAnalysis']);
    // The flow merges nothing itself: the store is given the newest answer as the engine sent it.
    expect(
      writes()[1]!.signals.map((s) => [s.reasonCode, s.severity, s.evidenceStrength, s.score, s.payload]),
    ).toEqual([
      ['r1', 'medium', 'substantial', 0.5, { n: 2 }],
      ['r2', 'medium', 'weak', 0.7, null],
      ['r3', 'critical', 'limited', 0.3, null],
    ]);
  });

  it('hands signals with the same dedupe key to the store as sent, null detector fields included', async () => {
    const matchId = newMatch();
    detector.signals = [
      { subjectUserId: B, reasonCode: 'dup', severity: 'low', score: 0.2 },
      { subjectUserId: B, reasonCode: 'dup', severity: 'high', score: 0.1 },
    ];
    const answers = [
      { signalCount: 1, outboxInserted: 1, storedSignals: [] },
      { signalCount: 1, outboxInserted: 0, storedSignals: [] },
    ];
    store.script.storeAnalysis = () => answers.shift()!;
    const analyzer = client();
    expect(await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 })).toMatchObject({
      signalCount: 1,
      outboxInserted: 1,
    });
    expect(await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 })).toMatchObject({
      signalCount: 1,
      outboxInserted: 0,
    });
    for (const write of writes()) {
      expect(write.signals.map((s) => [s.detectorKey, s.detectorVersion, s.severity, s.score])).toEqual([
        [null, null, 'low', 0.2],
        [null, null, 'high', 0.1],
      ]);
    }
  });

  it('analyses a match that replicas take at once, each writing the whole answer', async () => {
    const matchId = newMatch();
    detector.signals = [
      { subjectUserId: A, reasonCode: 'x', severity: 'high', score: 0.5 },
      { subjectUserId: B, reasonCode: 'y', severity: 'critical', score: 0.6 },
      { subjectUserId: B, reasonCode: 'z', severity: 'low', score: 0.1 },
    ];
    const replicas = [client(), client(), client(), client()];
    const outcomes = await Promise.all(
      replicas.map((r) => analyzeMatch(deps(r), { matchId, enqueuedAt: T0 })),
    );
    expect(outcomes.every((o) => o.kind === 'analyzed')).toBe(true);
    expect(writes().map((w) => w.signals.map((s) => s.reasonCode))).toEqual(Array(4).fill(['x', 'y', 'z']));
  });

  it('makes one facts read and one write per analysed match, and a facts read and a run record per deferral', async () => {
    const matchId = newMatch();
    detector.signals = [{ subjectUserId: A, reasonCode: 'budget', severity: 'high', score: 1 }];
    const analyzer = client();
    await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 });
    expect(store.methods()).toEqual(['loadFacts', 'storeAnalysis']);

    store.calls.length = 0;
    engine.setFault({ kind: 'status', code: 503, times: 1 });
    await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 });
    expect(store.methods()).toEqual(['loadFacts', 'recordRun']);
  });

  it('records skipped_disabled without calling anything when the engine is disabled', async () => {
    const matchId = newMatch();
    const disabled = clientFor(null);
    clients.push(disabled);
    expect(await analyzeMatch(deps(disabled), { matchId, enqueuedAt: T0 })).toEqual({
      kind: 'skipped_disabled',
    });
    expect(store.calls).toEqual([
      { method: 'loadFacts', matchId, now: T0 },
      { method: 'recordRun', record: { matchId, status: 'skipped_disabled', lastFailure: null, now: T0 } },
    ]);
    expect(engine.requestCount()).toBe(0);
  });

  it('records an unknown match and a match without events without calling the engine', async () => {
    const unknown = '40000000-0000-4000-8000-0000000000ff';
    const empty = '40000000-0000-4000-8000-0000000000fe';
    store.script.facts.set(empty, { kind: 'no_ranked_events' });
    const analyzer = client();
    expect(await analyzeMatch(deps(analyzer), { matchId: unknown, enqueuedAt: T0 })).toEqual({
      kind: 'skipped_no_facts',
      reason: 'unknown_match',
    });
    expect(await analyzeMatch(deps(analyzer), { matchId: empty, enqueuedAt: T0 })).toEqual({
      kind: 'skipped_no_facts',
      reason: 'no_ranked_events',
    });
    expect(runRecords()).toEqual([
      { matchId: unknown, status: 'skipped_no_facts', lastFailure: 'unknown_match', now: T0 },
      { matchId: empty, status: 'skipped_no_facts', lastFailure: 'no_ranked_events', now: T0 },
    ]);
    expect(store.methods()).not.toContain('storeAnalysis');
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
      const matchId = newMatch();
      detector.signals = [{ subjectUserId: A, reasonCode: 'after_recovery', severity: 'high', score: 1 }];
      engine.setFault({ ...fault, times: 1 });
      const analyzer = client();
      const deferred = await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 });
      expect(deferred).toMatchObject({ kind: 'deferred', reason, attempts: 1 });
      if (reason === 'rate_limited') expect(deferred).toMatchObject({ retryAfterMs: 7_000 });
      expect(runRecords()).toEqual([{ matchId, status: 'deferred', lastFailure: reason, now: T0 }]);
      expect(writes()).toEqual([]);

      const later = await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 });
      expect(later).toMatchObject({ kind: 'analyzed', signalCount: 1 });
      expect(writes().map((w) => w.signals.map((s) => s.reasonCode))).toEqual([['after_recovery']]);
    });
  }

  it('defers on network errors while the engine refuses connections', async () => {
    const matchId = newMatch();
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
    const matchId = newMatch();
    // The store keeps the first sighting and counts the attempts.
    let attempts = 0;
    store.script.recordRun = () => ({ attempts: ++attempts, firstSeenAt: T0, status: 'deferred' });
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
    expect(store.calls.at(-1)).toEqual({ method: 'abandonRun', matchId, reason, now: clock });
    expect(store.methods().filter((m) => m === 'abandonRun')).toHaveLength(1);
  });

  it('records a rejected request with the engine detail and leaves the breaker closed', async () => {
    const matchId = newMatch();
    engine.setFault({ kind: 'status', code: 422 });
    const analyzer = client();
    for (let i = 0; i < 3; i += 1) {
      expect(await analyzeMatch(deps(analyzer), { matchId, enqueuedAt: T0 })).toMatchObject({
        kind: 'rejected',
        httpStatus: 422,
      });
    }
    expect(analyzer.state).toBe('closed');
    const records = runRecords();
    expect(records).toHaveLength(3);
    for (const record of records) {
      expect(record).toMatchObject({ matchId, status: 'rejected' });
      expect(record.lastFailure).toMatch(/^engine answered 422: /);
    }
  });

  it('lets a store failure propagate, so that the queue retries the job', async () => {
    const matchId = newMatch();
    detector.signals = [{ subjectUserId: A, reasonCode: 'unwritten', severity: 'high', score: 1 }];
    const failure = new Error('connection terminated');
    store.script.storeAnalysis = () => {
      throw failure;
    };
    await expect(analyzeMatch(deps(client()), { matchId, enqueuedAt: T0 })).rejects.toBe(failure);
  });

  it('settles a match whose write PostgreSQL refuses with a data error (SQLSTATE 22) as unstorable, once', async () => {
    const matchId = newMatch();
    detector.signals = [{ subjectUserId: A, reasonCode: 'unwritten', severity: 'high', score: 1 }];
    store.script.storeAnalysis = () => {
      throw databaseError('22P05', 'unsupported Unicode escape sequence');
    };
    const outcome = await analyzeMatch(deps(client()), { matchId, enqueuedAt: T0 });
    expect(outcome).toEqual({
      kind: 'unstorable',
      sqlstate: '22P05',
      detail: '22P05: unsupported Unicode escape sequence',
    });
    expect(runRecords()).toEqual([
      { matchId, status: 'unstorable', lastFailure: '22P05: unsupported Unicode escape sequence', now: T0 },
    ]);
  });

  it('lets any other PostgreSQL error of the write propagate (a lock race, the server going away)', async () => {
    const matchId = newMatch();
    detector.signals = [{ subjectUserId: A, reasonCode: 'unwritten', severity: 'high', score: 1 }];
    for (const code of ['40P01', '57P01', '23514']) {
      const failure = databaseError(code, 'not a data error');
      store.script.storeAnalysis = () => {
        throw failure;
      };
      await expect(analyzeMatch(deps(client()), { matchId, enqueuedAt: T0 })).rejects.toBe(failure);
    }
    expect(runRecords()).toEqual([]);
  });

  it('sends no request with more players than the contract allows, and records the named reason', async () => {
    const matchId = newMatch();
    const facts = store.script.facts.get(matchId)!;
    if (facts.kind !== 'facts') throw new Error('the match has facts');
    const players = Array.from({ length: 65 }, (_, i) => ({
      userId: `31000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      events: [guess(matchId, 1000, 3000, 0.2)],
    }));
    store.script.facts.set(matchId, { kind: 'facts', request: { ...facts.request, players } });
    const outcome = await analyzeMatch(deps(client()), { matchId, enqueuedAt: T0 });
    expect(outcome).toMatchObject({ kind: 'skipped_invalid_request', reason: 'too_many_players' });
    expect(engine.requestCount()).toBe(0);
    expect(store.methods()).toEqual(['loadFacts', 'recordRun']);
  });
});

/** A PostgreSQL error as node-postgres raises it, with its SQLSTATE. */
function databaseError(code: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}
