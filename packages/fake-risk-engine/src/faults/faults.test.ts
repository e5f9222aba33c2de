import { analyzeResponseSchema } from '@geoduels/risk-client/signals';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeRiskEngine,
  MAX_BODY_BYTES,
  POISON_DETECTOR_KEY,
  POISON_VARIANTS,
  type PoisonVariant,
  startFakeRiskEngine,
} from '../index.js';
import { ALICE, typicalMatch } from '../test-support/facts.js';
import { send, testAgent } from '../test-support/http.js';

const agent = testAgent();
let engine: FakeRiskEngine;

beforeAll(async () => {
  engine = await startFakeRiskEngine({ token: 't0ken' });
});
afterEach(() => engine.reset());
afterAll(async () => {
  await engine.stop();
  await agent.close();
});

const analyze = (options: { headersTimeout?: number } = {}) =>
  send(`${engine.url}/v1/analyze`, { body: typicalMatch(), token: 't0ken', dispatcher: agent, ...options });

describe('fault injection', () => {
  it('delays the answer by the injected latency, then answers normally', async () => {
    engine.setFault({ kind: 'latency', ms: 1500, times: 1 });
    const started = performance.now();
    const slow = analyze().then((reply) => ({ reply, elapsed: performance.now() - started }));
    const quick = await analyze();
    expect(quick.status).toBe(200);
    const { reply, elapsed } = await slow;
    expect(reply.status).toBe(200);
    expect(analyzeResponseSchema.parse(reply.json()).signals).toHaveLength(3);
    expect(elapsed).toBeGreaterThanOrEqual(1490);
  });

  it('hangs without ever answering while the fault is on', async () => {
    engine.setFault({ kind: 'hang', times: 1 });
    await expect(analyze({ headersTimeout: 300 })).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect((await analyze()).status).toBe(200);
  });

  it('answers the injected status code for the given number of requests', async () => {
    engine.setFault({ kind: 'status', code: 503, times: 2 });
    const statuses = [(await analyze()).status, (await analyze()).status, (await analyze()).status];
    expect(statuses).toEqual([503, 503, 200]);
    engine.setFault({ kind: 'status', code: 422, times: 1 });
    expect((await analyze()).json()).toMatchObject({ code: 'injected_fault' });
  });

  it('answers 429 with Retry-After in seconds or as an HTTP date', async () => {
    const date = new Date('2026-11-27T13:00:00Z');
    engine.setFault({ kind: 'rate_limit', retryAfter: 7, times: 1 });
    engine.setFault({ kind: 'rate_limit', retryAfter: date, times: 1 });
    const first = await analyze();
    const second = await analyze();
    expect([first.status, first.headers['retry-after']]).toEqual([429, '7']);
    expect([second.status, second.headers['retry-after']]).toEqual([429, 'Fri, 27 Nov 2026 13:00:00 GMT']);
  });

  it('answers 401 even to the right token', async () => {
    engine.setFault({ kind: 'unauthorized', times: 1 });
    expect((await analyze()).status).toBe(401);
  });

  it('answers 200 with truncated JSON', async () => {
    engine.setFault({ kind: 'malformed_json', times: 1 });
    const reply = await analyze();
    expect(reply.status).toBe(200);
    expect(() => reply.json()).toThrow(SyntaxError);
  });

  it('answers 200 with JSON that breaks the response contract', async () => {
    engine.setFault({ kind: 'schema_invalid', times: 1 });
    const reply = await analyze();
    expect(reply.status).toBe(200);
    expect(analyzeResponseSchema.safeParse(reply.json()).success).toBe(false);
  });

  it('sends a schema-valid body over 1 MiB, with and without content-length', async () => {
    engine.setFault({ kind: 'oversized', times: 1 });
    engine.setFault({ kind: 'oversized', contentLength: false, times: 1 });
    const announced = await analyze();
    expect(Number(announced.headers['content-length'])).toBeGreaterThan(MAX_BODY_BYTES);
    expect(Buffer.byteLength(announced.text)).toBeGreaterThan(MAX_BODY_BYTES);
    expect(analyzeResponseSchema.safeParse(announced.json()).success).toBe(true);
    const chunked = await analyze();
    expect(chunked.headers['content-length']).toBeUndefined();
    expect(chunked.headers['transfer-encoding']).toBe('chunked');
    expect(Buffer.byteLength(chunked.text)).toBeGreaterThan(MAX_BODY_BYTES);
  });

  it('sends the largest body the contract allows: exactly 1 MiB, 1,000 distinct signals', async () => {
    engine.setFault({ kind: 'max_body', times: 1 });
    const reply = await analyze();
    expect(reply.status).toBe(200);
    expect(Number(reply.headers['content-length'])).toBe(MAX_BODY_BYTES);
    expect(Buffer.byteLength(reply.text)).toBe(MAX_BODY_BYTES);
    const parsed = analyzeResponseSchema.parse(reply.json());
    expect(parsed.signals).toHaveLength(1000);
    expect(new Set(parsed.signals.map((signal) => signal.reasonCode)).size).toBe(1000);
  });

  it('resets the connection in the middle of the body', async () => {
    engine.setFault({ kind: 'reset', times: 1 });
    const res = await request(`${engine.url}/v1/analyze`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t0ken' },
      body: JSON.stringify(typicalMatch()),
      dispatcher: agent,
    });
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET/),
    });
  });

  it('refuses connections while down and answers again on the same port after up()', async () => {
    const port = engine.port;
    await engine.down();
    expect(engine.isUp).toBe(false);
    await expect(analyze()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await engine.up();
    expect(engine.port).toBe(port);
    expect((await analyze()).status).toBe(200);
  });

  it('destroys open connections when going down, and comes back by itself after forMs', async () => {
    engine.setFault({ kind: 'hang', times: 1 });
    const hanging = analyze();
    await expect.poll(() => engine.requestCount()).toBe(1);
    engine.setFault({ kind: 'down', forMs: 200 });
    await expect(hanging).rejects.toMatchObject({ code: expect.stringMatching(/UND_ERR_SOCKET|ECONNRESET/) });
    await expect.poll(() => engine.isUp, { timeout: 10_000 }).toBe(true);
    expect((await analyze()).status).toBe(200);
  });

  it('sends hostile bodies that still parse, with the request player as subject', async () => {
    for (const variant of ['deep_nesting', 'huge_strings', 'wrong_types', 'proto_keys'] as const) {
      engine.setFault({ kind: 'hostile', variant, times: 1 });
    }
    const deep = await analyze();
    expect(deep.text.split('{"d":').length - 1).toBe(10_000);
    expect(deep.text).toContain(ALICE);
    const huge = await analyze();
    expect(Buffer.byteLength(huge.text)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect((huge.json() as { signals: Array<{ reasonCode: string }> }).signals[0]!.reasonCode).toHaveLength(
      300_000,
    );
    const wrong = await analyze();
    expect(analyzeResponseSchema.safeParse(wrong.json()).success).toBe(false);
    const proto = await analyze();
    const parsed = proto.json() as { signals: Array<{ payload: object }> };
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
    expect(Object.hasOwn(parsed.signals[0]!.payload, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('sends poison answers: schema-valid, about a player of the request, carrying what PostgreSQL cannot store', async () => {
    for (const variant of POISON_VARIANTS) engine.setFault({ kind: 'poison', variant, times: 1 });
    const answers = new Map<PoisonVariant, { detectorVersion: string; signals: Record<string, unknown>[] }>();
    for (const variant of POISON_VARIANTS) {
      const reply = await analyze();
      expect(reply.status, variant).toBe(200);
      const parsed = analyzeResponseSchema.safeParse(reply.json());
      expect(parsed.success, variant).toBe(true);
      answers.set(variant, parsed.data as never);
    }
    expect(engine.faults()).toEqual([]);
    const signal = (variant: PoisonVariant) => answers.get(variant)!.signals[0]!;
    for (const variant of POISON_VARIANTS) {
      expect(answers.get(variant)!.signals, variant).toHaveLength(1);
      expect(signal(variant), variant).toMatchObject({
        subjectUserId: ALICE,
        detectorKey: POISON_DETECTOR_KEY,
        severity: 'high',
        recommendedQueue: true,
      });
    }
    expect(signal('zero_year_time').occurredAt).toBe('0000-01-01T00:00:00Z');
    expect(signal('past_year_9999_time').occurredAt).toBe('9999-12-31T23:30:00-01:00');
    expect(signal('lone_surrogate_reason').reasonCode).toBe('lone_surrogate_\ud800_reason');
    expect(signal('lone_surrogate_type').signalType).toBe('gameplay_\ud800');
    expect(signal('lone_surrogate_payload').payload).toEqual({ note: 'bad \ud800 text', ok: 1 });
    expect(answers.get('nul_detector_version')!.detectorVersion).toBe('fake-1.0.0\u0000');
    expect(Object.keys(signal('nul_payload_key').payload as object)).toEqual(['bad\u0000key', 'ok']);
    // The lone surrogates travel as JSON escapes: as raw UTF-8 they could not be encoded at all.
    engine.setFault({ kind: 'poison', variant: 'lone_surrogate_reason', times: 1 });
    const wire = await analyze();
    expect(wire.text).toContain('lone_surrogate_\\ud800_reason');
  });

  it('runs faults in order, latency stacking in front of the next fault, until cleared when no count is given', async () => {
    engine.setFault({ kind: 'latency', ms: 10, times: 1 });
    engine.setFault({ kind: 'status', code: 500 });
    expect(engine.faults()).toEqual([
      { kind: 'latency', ms: 10, times: 1 },
      { kind: 'status', code: 500 },
    ]);
    expect((await analyze()).status).toBe(500);
    expect(engine.faults()).toEqual([{ kind: 'status', code: 500 }]);
    expect((await analyze()).status).toBe(500);
    engine.clearFaults();
    expect((await analyze()).status).toBe(200);
  });

  it('leaves health checks alone unless a fault is scoped to all routes', async () => {
    engine.setFault({ kind: 'status', code: 503 });
    expect((await send(`${engine.url}/health`, { dispatcher: agent })).status).toBe(200);
    engine.clearFaults();
    engine.setFault({ kind: 'status', code: 503, scope: 'all', times: 1 });
    expect((await send(`${engine.url}/health/ready`, { dispatcher: agent })).status).toBe(503);
    expect((await send(`${engine.url}/health/ready`, { dispatcher: agent })).status).toBe(200);
  });

  it('starts with the faults given as options', async () => {
    const other = await startFakeRiskEngine({ faults: [{ kind: 'status', code: 502, times: 1 }] });
    try {
      const first = await send(`${other.url}/v1/analyze`, { body: typicalMatch(), dispatcher: agent });
      expect(first.status).toBe(502);
    } finally {
      await other.stop();
    }
  });
});
