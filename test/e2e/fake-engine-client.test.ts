// The real risk client against the real fake engine over loopback: every fault mode of the fake
// must surface as the client result docs/architecture.md promises ("The client"), and the ok
// path must come out normalised.
import {
  DEFAULT_DETECTORS,
  type FakeRiskEngine,
  type FaultSpec,
  POISON_VARIANTS,
  startFakeRiskEngine,
  unknownSubjects,
} from '@geoduels/fake-risk-engine';
import {
  type AnalyzeRequest,
  createRiskClient,
  createRiskEngineConfig,
  type RiskClient,
} from '@geoduels/risk-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  analyzeRequest,
  BOB,
  history,
  typicalMatch,
} from '../../packages/fake-risk-engine/src/test-support/facts.js';

const TOKEN = 'e2e-fake-token';
const NOW = Date.parse('2026-11-27T12:30:00Z');
const NOW_ISO = new Date(NOW).toISOString();

let engine: FakeRiskEngine;
const clients: RiskClient[] = [];

beforeAll(async () => {
  engine = await startFakeRiskEngine({ token: TOKEN, detectors: [...DEFAULT_DETECTORS, unknownSubjects] });
});
afterEach(async () => {
  engine.reset();
  if (!engine.isUp) await engine.up();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(() => engine.stop());

// A fresh client per test; the breaker is out of the way unless a test tunes it.
function client(options: { token?: string; timeoutMs?: number; volumeThreshold?: number } = {}): RiskClient {
  const config = createRiskEngineConfig({
    enabled: true,
    url: engine.url,
    token: options.token ?? TOKEN,
    timeoutMs: options.timeoutMs ?? 2000,
  });
  const c = createRiskClient(config, {
    now: () => NOW,
    breaker: { volumeThreshold: options.volumeThreshold ?? 1000, resetTimeoutMs: 60_000 },
  });
  clients.push(c);
  return c;
}

async function withFault(fault: FaultSpec, request: AnalyzeRequest = typicalMatch(), timeoutMs?: number) {
  engine.setFault({ times: 1, ...fault });
  return client({ timeoutMs }).analyze(request);
}

describe('real client against the fake engine: ok path', () => {
  it('normalises a typical match: three signals, defaults applied, nothing dropped but the strangers', async () => {
    const result = await client().analyze(typicalMatch());
    expect(result).toMatchObject({
      status: 'ok',
      detectorVersion: 'fake-1.0.0',
      factsVersion: 'match-facts/2026-01',
    });
    if (result.status !== 'ok') return;
    expect(result.droppedSignals).toBe(3);
    const [aliceWatch, bobWatch, pace] = result.signals;
    expect(result.signals).toHaveLength(3);
    expect(aliceWatch).toMatchObject({
      subjectUserId: ALICE,
      signalType: 'gameplay_integrity',
      detectorKey: 'history_watch',
      detectorVersion: null,
      severity: 'low',
      reasonCode: 'risk_engine_signal',
      recommendedQueue: false,
      occurredAt: NOW_ISO,
      payload: { stats: { events: 50 } },
    });
    expect(bobWatch?.subjectUserId).toBe(BOB);
    expect(pace).toMatchObject({
      signalType: 'gameplay_pace',
      detectorKey: 'match_pace',
      detectorVersion: 'fake-1.0.0',
      severity: 'low',
      evidenceStrength: 'weak',
      reasonCode: 'fastest_in_match',
      occurredAt: '2026-11-27T12:05:00.000Z',
    });
    expect([ALICE, BOB]).toContain(pace?.subjectUserId);
  });

  it('maps padded, mixed-case and alias severities and evidence strengths and fills missing fields', async () => {
    const hits = (i: number) => (i < 16 ? { score: 4990, guessMs: 1200, evidence: 0.9 } : { evidence: 0.9 });
    const request = analyzeRequest([
      { userId: ALICE, currentRating: 1600, rankedGames: 5, events: history(50, hits) },
      { userId: BOB, currentRating: 1200, rankedGames: 14, events: history(50, () => ({ evidence: 0.45 })) },
    ]);
    const result = await client().analyze(request);
    if (result.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
    const byKey = (key: string, subject: string) =>
      result.signals.find((s) => s.detectorKey === key && s.subjectUserId === subject);
    expect(byKey('fast_precise', ALICE)).toMatchObject({
      severity: 'critical',
      evidenceStrength: 'strong',
      recommendedQueue: true,
      signalType: 'gameplay_integrity',
    });
    expect(byKey('rating_jump', ALICE)).toMatchObject({
      severity: 'high',
      evidenceStrength: 'substantial',
      detectorVersion: 'fake-1.0.0',
      signalType: 'gameplay_integrity',
      occurredAt: NOW_ISO,
    });
    expect(byKey('rating_jump', BOB)).toMatchObject({ severity: 'medium', evidenceStrength: 'limited' });
    expect(byKey('history_watch', ALICE)).toMatchObject({ severity: 'low', evidenceStrength: 'strong' });
    expect(byKey('history_watch', BOB)).toMatchObject({ severity: 'low', evidenceStrength: 'limited' });
    expect(result.droppedSignals).toBe(3);
  });

  it('maps every evidence alias of the watch signal', async () => {
    const means = [0.1, 0.3, 0.5, 0.7, 0.9];
    const players = means.map((evidence, i) => ({
      userId: `0000000${i}-0000-4000-8000-000000000000`,
      events: history(20, () => ({ evidence })),
    }));
    const result = await client().analyze(analyzeRequest(players));
    if (result.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
    const watch = result.signals.filter((s) => s.detectorKey === 'history_watch');
    expect(watch.map((s) => s.evidenceStrength)).toEqual([
      'weak',
      'weak',
      'limited',
      'substantial',
      'strong',
    ]);
  });

  it('is seen by the fake with the bearer token (masked in the record) and the request id', async () => {
    await client().analyze(typicalMatch(), { requestId: 'req-e2e-1' });
    const [seen] = engine.requests();
    expect(seen?.headers['authorization']).toBe('Bearer ***');
    expect(seen?.headers['x-request-id']).toBe('req-e2e-1');
    expect(seen?.body).toMatchObject({ matchId: typicalMatch().matchId });
  });

  it('reports health through /health/ready', async () => {
    expect(await client().health()).toMatchObject({ ok: true, status: 200 });
  });
});

describe('real client against the fake engine: faults', () => {
  it('analyses normally when latency stays under the timeout', async () => {
    expect(await withFault({ kind: 'latency', ms: 50 })).toMatchObject({ status: 'ok' });
  });

  it('times out on latency over the timeout and on a hang', async () => {
    expect(await withFault({ kind: 'latency', ms: 5000 }, typicalMatch(), 300)).toEqual({
      status: 'unavailable',
      reason: 'timeout',
    });
    expect(await withFault({ kind: 'hang' }, typicalMatch(), 300)).toEqual({
      status: 'unavailable',
      reason: 'timeout',
    });
  });

  it('reports 5xx as http_5xx and 400/422 as rejected', async () => {
    expect(await withFault({ kind: 'status', code: 503 })).toMatchObject({
      status: 'unavailable',
      reason: 'http_5xx',
    });
    expect(await withFault({ kind: 'status', code: 422 })).toMatchObject({
      status: 'rejected',
      httpStatus: 422,
    });
    expect(await withFault({ kind: 'status', code: 400 })).toMatchObject({
      status: 'rejected',
      httpStatus: 400,
    });
  });

  it('reports a real validation error of the fake as rejected with its detail', async () => {
    const bad = { ...typicalMatch(), factsVersion: 'match-facts/1999' } as unknown as AnalyzeRequest;
    const result = await client().analyze(bad);
    expect(result).toMatchObject({ status: 'rejected', httpStatus: 400 });
    expect(result.status === 'rejected' && result.detail).toMatch(/^invalid factsVersion: /);
  });

  it('honours Retry-After in seconds and as an HTTP date', async () => {
    expect(await withFault({ kind: 'rate_limit', retryAfter: 7 })).toEqual({
      status: 'unavailable',
      reason: 'rate_limited',
      retryAfterMs: 7000,
    });
    const date = new Date(NOW + 90_000);
    expect(await withFault({ kind: 'rate_limit', retryAfter: date })).toEqual({
      status: 'unavailable',
      reason: 'rate_limited',
      retryAfterMs: 90_000,
    });
  });

  it('reports unauthorized for an injected 401 and for a wrong token', async () => {
    expect(await withFault({ kind: 'unauthorized' })).toMatchObject({ reason: 'unauthorized' });
    expect(await client({ token: 'wrong-token-same-len!' }).analyze(typicalMatch())).toMatchObject({
      status: 'unavailable',
      reason: 'unauthorized',
    });
  });

  it('reports malformed, schema-invalid, wrong-typed and oversized bodies as invalid_response', async () => {
    const faults: FaultSpec[] = [
      { kind: 'malformed_json' },
      { kind: 'schema_invalid' },
      { kind: 'hostile', variant: 'wrong_types' },
      { kind: 'oversized' },
      { kind: 'oversized', contentLength: false },
    ];
    for (const fault of faults) {
      expect(await withFault(fault), JSON.stringify(fault)).toEqual({
        status: 'unavailable',
        reason: 'invalid_response',
      });
    }
  });

  it('reports a connection reset mid-body and a downed engine as network failures', async () => {
    expect(await withFault({ kind: 'reset' })).toEqual({ status: 'unavailable', reason: 'network' });
    await engine.down();
    expect(await client().analyze(typicalMatch())).toEqual({ status: 'unavailable', reason: 'network' });
    expect(await client().health()).toMatchObject({ ok: false });
    await engine.up();
    expect(await client().analyze(typicalMatch())).toMatchObject({ status: 'ok' });
  });

  it('keeps hostile signals but drops their deep payloads, and pollutes no prototype', async () => {
    for (const variant of ['deep_nesting', 'proto_keys'] as const) {
      const result = await withFault({ kind: 'hostile', variant });
      expect(result.status, variant).toBe('ok');
      if (result.status !== 'ok') continue;
      expect(
        result.signals.map((s) => s.subjectUserId),
        variant,
      ).toEqual([ALICE]);
      if (variant === 'deep_nesting')
        expect([result.signals[0]!.payload, result.droppedPayloads], variant).toEqual([null, 1]);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
  });

  it('returns every poison answer as ok, storable, with each repair or drop counted by its reason', async () => {
    const counted: Record<string, unknown> = {};
    for (const variant of POISON_VARIANTS) {
      const result = await withFault({ kind: 'poison', variant });
      if (result.status !== 'ok') throw new Error(`${variant}: expected ok, got ${JSON.stringify(result)}`);
      // JSON.stringify escapes exactly what PostgreSQL's JSON input refuses: lone surrogates and NUL.
      const text = JSON.stringify(result);
      expect(text, variant).not.toMatch(/\\u(d[89a-f]|0000)/i);
      expect(text, variant).not.toContain('0000-01-01');
      expect(
        result.signals.map((s) => s.subjectUserId),
        variant,
      ).toEqual([ALICE]);
      const { droppedSignals, droppedPayloads, repaired } = result.normalization;
      const nonZero = Object.entries({ ...droppedSignals, ...droppedPayloads, ...repaired }).filter(
        ([, n]) => n > 0,
      );
      counted[variant] = Object.fromEntries(nonZero);
    }
    expect(counted).toEqual({
      zero_year_time: { occurred_at_out_of_range: 1 },
      past_year_9999_time: { occurred_at_out_of_range: 1 },
      lone_surrogate_reason: { ill_formed_string: 1 },
      lone_surrogate_type: { ill_formed_string: 1 },
      lone_surrogate_payload: { ill_formed_string: 1 },
      nul_detector_version: { version_nul: 1 },
      nul_payload_key: { nul_character: 1 },
    });
  });

  it('drops and counts a signal whose reason code is too long to store', async () => {
    const result = await withFault({ kind: 'hostile', variant: 'huge_strings' });
    expect(result).toMatchObject({ status: 'ok', signals: [], droppedSignals: 1 });
  });

  it('opens the breaker after repeated failures and then fails fast without reaching the engine', async () => {
    const c = client({ volumeThreshold: 3 });
    engine.setFault({ kind: 'status', code: 500, times: 3 });
    for (let i = 0; i < 3; i++) await c.analyze(typicalMatch());
    expect(c.state).toBe('open');
    const seen = engine.requestCount();
    expect(await c.analyze(typicalMatch())).toMatchObject({ status: 'unavailable', reason: 'breaker_open' });
    expect(engine.requestCount()).toBe(seen);
  });
});
