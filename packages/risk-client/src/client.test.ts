import { Agent, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createRiskClient, type RiskClientOptions } from './client.js';
import { createRiskEngineConfig, riskEngineConfigFromEnv } from './config.js';
import { ClientClosedError, InvalidArgumentError } from './errors.js';
import { MAX_BODY_BYTES, USER_AGENT } from './http.js';
import type { AnalyzeResult } from './result.js';
import { type Handler, json, startTestEngine } from './test-support/engine-server.js';
import { analyzeRequest, engineAnswer, PLAYER_A, PLAYER_B } from './test-support/fixtures.js';

const TOKEN = 'engine-token-abc123';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(handler: Handler, env: Record<string, string> = {}, options: RiskClientOptions = {}) {
  const engine = await startTestEngine(handler);
  cleanups.push(() => engine.close());
  const client = createRiskClient(
    riskEngineConfigFromEnv({ RISK_ENGINE_URL: engine.url, RISK_ENGINE_TOKEN: TOKEN, ...env }),
    options,
  );
  cleanups.push(() => client.close());
  return { engine, client };
}

const signal = (overrides: Record<string, unknown> = {}) => ({
  subjectUserId: PLAYER_A,
  signalType: 'speed',
  detectorKey: 'guess-speed',
  detectorVersion: '3',
  severity: 'HIGH',
  evidenceStrength: 'very_high',
  reasonCode: 'too_fast',
  recommendedQueue: true,
  score: 0.9,
  payload: { rounds: [1] },
  occurredAt: '2026-01-02T03:04:05Z',
  ...overrides,
});

describe('analyze, ok path', () => {
  it('posts the request with the contract headers and returns normalised signals', async () => {
    const { engine, client } = await setup((_req, res) =>
      json(res, 200, {
        ...engineAnswer([
          signal(),
          signal({ subjectUserId: ' ' }),
          signal({ subjectUserId: PLAYER_B, severity: 'odd' }),
        ]),
        extraFieldFromTheFuture: { ignored: true },
      }),
    );
    const request = analyzeRequest();
    const result = await client.analyze(request, { requestId: 'req-42' });

    expect(result).toMatchObject({
      status: 'ok',
      detectorVersion: 'det-7',
      factsVersion: 'match-facts/2026-01',
      droppedSignals: 1,
      droppedPayloads: 0,
    });
    if (result.status !== 'ok') throw new Error('unreachable');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.signals).toEqual([
      expect.objectContaining({ subjectUserId: PLAYER_A, severity: 'high', evidenceStrength: 'strong' }),
      expect.objectContaining({ subjectUserId: PLAYER_B, severity: 'low' }),
    ]);

    const [seen] = engine.requests;
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/v1/analyze');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(seen?.headers['x-request-id']).toBe('req-42');
    expect(seen?.headers['user-agent']).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^geoduels-risk-client\/\d+\.\d+\.\d+/);
    expect(JSON.parse(seen?.body ?? '')).toEqual({ ...request, requestId: 'req-42' });
  });

  it('generates a request id when none is given and sends no authorization without a token', async () => {
    const engine = await startTestEngine((_req, res) => json(res, 200, engineAnswer()));
    cleanups.push(() => engine.close());
    const client = createRiskClient(riskEngineConfigFromEnv({ RISK_ENGINE_URL: engine.url }));
    cleanups.push(() => client.close());
    expect((await client.analyze(analyzeRequest())).status).toBe('ok');
    const [seen] = engine.requests;
    expect(seen?.headers['authorization']).toBeUndefined();
    expect(seen?.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(seen?.body ?? '').requestId).toBe(seen?.headers['x-request-id']);
  });

  it('keeps a request id the body already has', async () => {
    const { engine, client } = await setup((_req, res) => json(res, 200, engineAnswer()));
    await client.analyze(analyzeRequest({ requestId: 'from-body' }));
    expect(engine.requests[0]?.headers['x-request-id']).toBe('from-body');
  });

  it('posts under the base path of the configured URL', async () => {
    const engine = await startTestEngine((_req, res) => json(res, 200, engineAnswer()));
    cleanups.push(() => engine.close());
    const client = createRiskClient(riskEngineConfigFromEnv({ RISK_ENGINE_URL: `${engine.url}/risk/` }));
    cleanups.push(() => client.close());
    await client.analyze(analyzeRequest());
    expect(engine.requests[0]?.url).toBe('/risk/v1/analyze');
  });

  it('reuses keep-alive connections for sequential calls', async () => {
    const { engine, client } = await setup((_req, res) => json(res, 200, engineAnswer()));
    for (let i = 0; i < 10; i++) expect((await client.analyze(analyzeRequest())).status).toBe('ok');
    expect(engine.requests).toHaveLength(10);
    // undici's pool may alternate between two sockets while one finishes; it never opens one per call.
    expect(engine.connections()).toBeLessThanOrEqual(2);
  });
});

describe('analyze, unavailable reasons', () => {
  it.each<[string, Handler, AnalyzeResult]>([
    ['500', (_q, s) => json(s, 500, { error: 'boom' }), { status: 'unavailable', reason: 'http_5xx' }],
    [
      '503 with Retry-After',
      (_q, s) => json(s, 503, {}, { 'retry-after': '30' }),
      { status: 'unavailable', reason: 'http_5xx', retryAfterMs: 30_000 },
    ],
    ['401', (_q, s) => json(s, 401, { error: 'no' }), { status: 'unavailable', reason: 'unauthorized' }],
    ['403', (_q, s) => json(s, 403, { error: 'no' }), { status: 'unavailable', reason: 'unauthorized' }],
    [
      '429 without Retry-After',
      (_q, s) => json(s, 429, {}),
      { status: 'unavailable', reason: 'rate_limited' },
    ],
    [
      '429 with Retry-After seconds',
      (_q, s) => json(s, 429, {}, { 'retry-after': '12' }),
      { status: 'unavailable', reason: 'rate_limited', retryAfterMs: 12_000 },
    ],
    [
      'malformed JSON',
      (_q, s) => s.end('{"detectorVersion": '),
      { status: 'unavailable', reason: 'invalid_response' },
    ],
    [
      'schema-invalid JSON',
      (_q, s) => json(s, 200, { detectorVersion: 1, signals: 'none' }),
      { status: 'unavailable', reason: 'invalid_response' },
    ],
    [
      'a signal of the wrong type',
      (_q, s) => json(s, 200, engineAnswer([signal({ score: 'high' })])),
      { status: 'unavailable', reason: 'invalid_response' },
    ],
    ['an empty 200', (_q, s) => s.end(), { status: 'unavailable', reason: 'invalid_response' }],
    ['404', (_q, s) => json(s, 404, {}), { status: 'unavailable', reason: 'invalid_response' }],
    ['connection reset', (_q, s) => s.socket?.destroy(), { status: 'unavailable', reason: 'network' }],
  ])('maps %s', async (_name, handler, expected) => {
    const { client } = await setup(handler);
    expect(await client.analyze(analyzeRequest())).toEqual(expected);
  });

  it('reads an HTTP-date Retry-After against the injected clock', async () => {
    const now = Date.parse('2026-03-04T05:06:07Z');
    const { client } = await setup(
      (_q, s) => json(s, 429, {}, { 'retry-after': 'Wed, 04 Mar 2026 05:08:07 GMT' }),
      {},
      { now: () => now },
    );
    expect(await client.analyze(analyzeRequest())).toEqual({
      status: 'unavailable',
      reason: 'rate_limited',
      retryAfterMs: 120_000,
    });
  });

  it('answers network when nothing listens on the port', async () => {
    const engine = await startTestEngine(() => {});
    await engine.close();
    const client = createRiskClient(riskEngineConfigFromEnv({ RISK_ENGINE_URL: engine.url }));
    cleanups.push(() => client.close());
    expect(await client.analyze(analyzeRequest())).toEqual({ status: 'unavailable', reason: 'network' });
  });

  it('aborts a hanging engine at the deadline and the engine sees the socket close', async () => {
    const { engine, client } = await setup(() => {}, { RISK_ENGINE_TIMEOUT: '150ms' });
    const socketClosed = engine.nextSocketClose();
    expect(await client.analyze(analyzeRequest())).toEqual({ status: 'unavailable', reason: 'timeout' });
    await socketClosed;
    expect(engine.requests).toHaveLength(1);
  });

  it('bounds the body read by the same deadline', async () => {
    const { engine, client } = await setup(
      (_q, s) => {
        s.writeHead(200, { 'content-type': 'application/json' });
        s.write('{"detectorVersion":"x",');
      },
      { RISK_ENGINE_TIMEOUT: '150ms' },
    );
    const socketClosed = engine.nextSocketClose();
    expect(await client.analyze(analyzeRequest())).toEqual({ status: 'unavailable', reason: 'timeout' });
    await socketClosed;
  });
});

describe('analyze, answers refused at the door', () => {
  it('refuses an answer whose score JSON spells but is not finite (1e999) as invalid_response', async () => {
    const { client } = await setup((_q, s) => {
      const text = JSON.stringify(engineAnswer([signal()])).replace('"score":0.9', '"score":1e999');
      s.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      s.end(text);
    });
    expect(await client.analyze(analyzeRequest())).toEqual({
      status: 'unavailable',
      reason: 'invalid_response',
    });
  });
});

describe('analyze, the deadline timer', () => {
  // Live `Timeout` handles of this process (undici and the breaker keep a few of their own).
  const liveTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

  it('clears the deadline of every call that finished, so no timer outlives its call', async () => {
    const { client } = await setup((_q, s) => json(s, 200, engineAnswer([signal()])), {
      RISK_ENGINE_TIMEOUT: '30s',
    });
    expect((await client.analyze(analyzeRequest())).status).toBe('ok');
    const before = liveTimers();
    const calls = 25;
    for (let i = 0; i < calls; i++) expect((await client.analyze(analyzeRequest())).status).toBe('ok');
    await Promise.all(Array.from({ length: calls }, () => client.analyze(analyzeRequest())));
    // One leaked 30 s deadline per call would add 50 live timers; a shared timer of undici may come and go.
    expect(liveTimers() - before).toBeLessThanOrEqual(1);
  });
});

describe('analyze, what normalisation changed', () => {
  it('reports every drop and repair of an answer by named reason, beside the totals', async () => {
    const { client } = await setup((_q, s) =>
      json(s, 200, {
        detectorVersion: 'det\u0000-7',
        factsVersion: 'match-facts/2026-01',
        signals: [
          signal({ occurredAt: '0000-01-01T00:00:00Z' }),
          signal({ reasonCode: 'lone\ud800', payload: { ['k\u0000']: 1 } }),
          signal({ subjectUserId: 'not-a-player' }),
          signal({ signalType: 'nul\u0000type' }),
        ],
      }),
    );
    const result = await client.analyze(analyzeRequest());
    if (result.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
    expect(result.detectorVersion).toBe('det\ufffd-7');
    expect(result.signals.map((s) => [s.reasonCode, s.occurredAt === result.signals[0]!.occurredAt])).toEqual(
      [
        ['too_fast', true],
        ['lone\ufffd', false],
      ],
    );
    expect(result.droppedSignals).toBe(2);
    expect(result.droppedPayloads).toBe(1);
    expect(result.normalization).toEqual({
      droppedSignals: { no_subject: 0, unknown_subject: 1, identifier_too_long: 0, identifier_nul: 1 },
      droppedPayloads: {
        not_an_object: 0,
        too_deep: 0,
        too_large: 0,
        not_json: 0,
        nul_character: 1,
        key_collision: 0,
      },
      repaired: {
        ill_formed_string: 1,
        secret_redacted: 0,
        version_nul: 1,
        version_too_long: 0,
        occurred_at_out_of_range: 1,
      },
    });
  });
});

describe('analyze, oversized bodies', () => {
  it('rejects a declared content-length over 1 MiB without reading it', async () => {
    let written = 0;
    const { engine, client } = await setup((_q, s) => {
      s.writeHead(200, { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES * 8) });
      written += 1024;
      s.write(Buffer.alloc(1024, 0x20));
    });
    const socketClosed = engine.nextSocketClose();
    expect(await client.analyze(analyzeRequest())).toEqual({
      status: 'unavailable',
      reason: 'invalid_response',
    });
    await socketClosed;
    expect(written).toBe(1024);
  });

  it('aborts a chunked body as soon as it crosses 1 MiB', async () => {
    const total = MAX_BODY_BYTES * 32;
    let written = 0;
    const { engine, client } = await setup((_q, s) => {
      s.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (written < total && !s.destroyed) {
          written += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    const socketClosed = engine.nextSocketClose();
    expect(await client.analyze(analyzeRequest())).toEqual({
      status: 'unavailable',
      reason: 'invalid_response',
    });
    await socketClosed;
    // The engine could not push the whole body: the client stopped reading and closed the socket.
    expect(written).toBeLessThan(total);
  });

  it('accepts a body just under the limit', async () => {
    const padding = 'x'.repeat(MAX_BODY_BYTES - 200);
    const { client } = await setup((_q, s) => json(s, 200, { ...engineAnswer(), padding }));
    expect((await client.analyze(analyzeRequest())).status).toBe('ok');
  });
});

describe('analyze, rejected', () => {
  it.each([400, 422] as const)('returns rejected with the detail for %d', async (status) => {
    const { client } = await setup((_q, s) =>
      json(s, status, { error: `players[0].userId: invalid uuid (${status})` }),
    );
    expect(await client.analyze(analyzeRequest())).toEqual({
      status: 'rejected',
      httpStatus: status,
      detail: `players[0].userId: invalid uuid (${status})`,
    });
  });

  it('uses a plain-text error body as the detail, truncated', async () => {
    const { client } = await setup((_q, s) => {
      s.writeHead(400, { 'content-type': 'text/plain' });
      s.end(`bad request ${'!'.repeat(2000)}`);
    });
    const result = await client.analyze(analyzeRequest());
    expect(result.status).toBe('rejected');
    if (result.status !== 'rejected') throw new Error('unreachable');
    expect(result.detail.startsWith('bad request !')).toBe(true);
    expect(result.detail.length).toBeLessThanOrEqual(501);
  });

  it('makes the detail storable text: NUL and lone surrogates become U+FFFD, never split by the cut', async () => {
    const { client } = await setup((_q, s) =>
      json(s, 400, { error: `bad\u0000id \ud800 ${'x'.repeat(490)}\ud83d\ude00` }),
    );
    const result = await client.analyze(analyzeRequest());
    if (result.status !== 'rejected') throw new Error('expected rejected');
    expect(result.detail.startsWith('bad\ufffdid \ufffd x')).toBe(true);
    expect(result.detail.isWellFormed()).toBe(true);
    expect(result.detail).not.toContain('\u0000');
  });

  it('drains error bodies so the connection stays reusable', async () => {
    const { engine, client } = await setup(
      (req, s) =>
        req.url === '/v1/analyze' && engine.requests.length % 2 === 1
          ? json(s, 500, { error: 'x'.repeat(10_000) })
          : json(s, 200, engineAnswer()),
      {},
      { breaker: { volumeThreshold: 1000 } },
    );
    for (let i = 0; i < 10; i++) await client.analyze(analyzeRequest());
    expect(engine.requests).toHaveLength(10);
    expect(engine.connections()).toBeLessThanOrEqual(2);
  });
});

/** A real undici agent that counts the requests dispatched through it (closed after the test). */
function countingDispatcher() {
  let count = 0;
  const agent = new Agent();
  const counting = agent.compose((dispatch: Dispatcher['dispatch']) => (opts, handler) => {
    count++;
    return dispatch(opts, handler);
  });
  cleanups.push(() => agent.close());
  return { counting, dispatched: () => count };
}

describe('analyze, disabled and lifecycle', () => {
  it('answers disabled without any I/O', async () => {
    const { counting, dispatched } = countingDispatcher();
    const client = createRiskClient(riskEngineConfigFromEnv({ RISK_ENGINE_TOKEN: TOKEN }), {
      dispatcher: counting,
    });
    cleanups.push(() => client.close());
    expect(client.state).toBe('disabled');
    expect(await client.analyze(analyzeRequest())).toEqual({ status: 'disabled' });
    expect(await client.health()).toEqual({ ok: false, reason: 'disabled' });
    expect(dispatched()).toBe(0);
  });

  it('uses an injected dispatcher for every exchange', async () => {
    const { counting, dispatched } = countingDispatcher();
    const { client } = await setup((_q, s) => json(s, 200, engineAnswer()), {}, { dispatcher: counting });
    await client.analyze(analyzeRequest());
    await client.health();
    expect(dispatched()).toBe(2);
  });

  it('rejects with the caller reason when the caller aborts', async () => {
    const { engine, client } = await setup(() => {});
    const controller = new AbortController();
    const received = engine.nextRequest();
    const pending = client.analyze(analyzeRequest(), { signal: controller.signal });
    await received;
    controller.abort(new Error('shutting down'));
    await expect(pending).rejects.toThrow('shutting down');
    expect(client.state).toBe('closed');
  });

  it('never sends a call that was cancelled while it waited for a pooled connection', async () => {
    let hold: (() => void) | undefined;
    const { engine, client } = await setup(
      (_q, s) => {
        hold = () => json(s, 200, engineAnswer());
      },
      { RISK_ENGINE_TIMEOUT: '10s' },
      { connections: 1 },
    );
    const first = engine.nextRequest();
    const holding = client.analyze(analyzeRequest({ requestId: 'first' }));
    await first;
    const controller = new AbortController();
    const queued = client.analyze(analyzeRequest({ requestId: 'queued' }), { signal: controller.signal });
    controller.abort(new Error('no longer needed'));
    await expect(queued).rejects.toThrow('no longer needed');
    hold?.();
    expect((await holding).status).toBe('ok');
    engine.handle((_q, s) => json(s, 200, engineAnswer()));
    expect((await client.analyze(analyzeRequest({ requestId: 'third' }))).status).toBe('ok');
    expect(engine.requests.map((r) => r.headers['x-request-id'])).toEqual(['first', 'third']);
  });

  it('throws for an invalid request id (a programmer error)', async () => {
    const { client } = await setup((_q, s) => json(s, 200, engineAnswer()));
    await expect(client.analyze(analyzeRequest(), { requestId: 'has space' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('throws ClientClosedError after close, and close is idempotent', async () => {
    const { client } = await setup((_q, s) => json(s, 200, engineAnswer()));
    await client.close();
    await client.close();
    await expect(client.analyze(analyzeRequest())).rejects.toBeInstanceOf(ClientClosedError);
    await expect(client.health()).rejects.toBeInstanceOf(ClientClosedError);
  });

  it('refuses a hand-made config whose URL carries credentials', () => {
    const config = createRiskEngineConfig({
      enabled: true,
      url: 'http://u:p@engine',
      token: null,
      timeoutMs: 750,
    });
    expect(() => createRiskClient(config)).toThrow(InvalidArgumentError);
  });
});

describe('health', () => {
  it('reports ready, not ready, and unreachable', async () => {
    let ready = true;
    const { engine, client } = await setup((_req, s) => json(s, ready ? 200 : 503, { ready }));
    expect(await client.health()).toEqual({ ok: true, status: 200 });
    ready = false;
    expect(await client.health()).toEqual({ ok: false, status: 503 });
    expect(engine.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /health/ready',
      'GET /health/ready',
    ]);
    await engine.close();
    expect(await client.health()).toEqual({ ok: false, reason: 'network' });
  });

  it('times out at the deadline', async () => {
    const { client } = await setup(() => {}, { RISK_ENGINE_TIMEOUT: '100ms' });
    expect(await client.health()).toEqual({ ok: false, reason: 'timeout' });
  });
});
