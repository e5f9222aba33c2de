import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeRiskEngine, parseFaultSpec, startFakeRiskEngine } from './index.js';
import { typicalMatch } from './test-support/facts.js';
import { send, testAgent } from './test-support/http.js';

const TOKEN = 'ctl-token';
const agent = testAgent();
let engine: FakeRiskEngine;

beforeAll(async () => {
  engine = await startFakeRiskEngine({ control: true, token: TOKEN });
});
afterAll(async () => {
  await engine.stop();
  await agent.close();
});

const control = (path: string, method: 'GET' | 'POST' | 'DELETE', body?: unknown) =>
  send(`${engine.url}/__control/${path}`, { method, body, token: TOKEN, dispatcher: agent });
const analyze = () =>
  send(`${engine.url}/v1/analyze`, { body: typicalMatch(), token: TOKEN, dispatcher: agent });

describe('control endpoint', () => {
  it('switches faults on, lists and clears them at run time', async () => {
    const added = await control('faults', 'POST', [
      { kind: 'status', code: 500, times: 1 },
      { kind: 'hang' },
    ]);
    expect(added.status).toBe(201);
    expect((await control('faults', 'GET')).json()).toEqual({
      faults: [{ kind: 'status', code: 500, times: 1 }, { kind: 'hang' }],
    });
    expect((await analyze()).status).toBe(500);
    expect((await control('faults', 'DELETE')).json()).toEqual({ faults: [] });
    expect((await analyze()).status).toBe(200);
  });

  it('names the bad field of an invalid fault and applies none of the batch', async () => {
    const reply = await control('faults', 'POST', [
      { kind: 'latency', ms: 5 },
      { kind: 'status', code: 200 },
    ]);
    expect(reply.status).toBe(400);
    expect(reply.json()).toMatchObject({ code: 'invalid_fault', field: '[1].code' });
    expect(engine.faults()).toEqual([]);
  });

  it('requires the token when one is configured', async () => {
    const reply = await send(`${engine.url}/__control/faults`, { dispatcher: agent });
    expect(reply.status).toBe(401);
  });

  it('reports and forgets recorded requests', async () => {
    await control('reset', 'POST');
    await analyze();
    const seen = (await control('requests', 'GET')).json() as {
      count: number;
      requests: Array<{ path: string }>;
    };
    expect(seen.count).toBe(1);
    expect(seen.requests.map((r) => r.path)).toEqual(['/v1/analyze']);
    await control('requests', 'DELETE');
    expect(engine.requestCount()).toBe(0);
  });

  it('takes the engine down after answering, and back up after forMs', async () => {
    const reply = await control('faults', 'POST', { kind: 'down', forMs: 1500 });
    expect(reply.status).toBe(202);
    await expect.poll(() => engine.isUp).toBe(false);
    await expect.poll(() => engine.isUp, { timeout: 10_000 }).toBe(true);
    expect((await analyze()).status).toBe(200);
  });
});

describe('fault spec parsing', () => {
  it('accepts every fault kind and rejects unknown kinds and out-of-range fields by name', () => {
    const valid = [
      { kind: 'latency', ms: 10 },
      { kind: 'hang', times: 3, scope: 'all' },
      { kind: 'status', code: 503 },
      { kind: 'rate_limit', retryAfter: 5 },
      { kind: 'rate_limit', retryAfter: 'Fri, 27 Nov 2026 13:00:00 GMT' },
      { kind: 'unauthorized' },
      { kind: 'malformed_json' },
      { kind: 'schema_invalid' },
      { kind: 'oversized', contentLength: false },
      { kind: 'reset' },
      { kind: 'down', forMs: 1000 },
      { kind: 'hostile', variant: 'proto_keys' },
      { kind: 'poison', variant: 'nul_detector_version', times: 1 },
    ];
    for (const spec of valid) expect(parseFaultSpec(spec), spec.kind).toEqual({ ok: true, fault: spec });
    const invalid: Array<[unknown, string]> = [
      [null, '$'],
      [{ kind: 'explode' }, 'kind'],
      [{ kind: 'latency' }, 'ms'],
      [{ kind: 'status', code: 302 }, 'code'],
      [{ kind: 'hang', times: 0 }, 'times'],
      [{ kind: 'hang', scope: 'health' }, 'scope'],
      [{ kind: 'hostile', variant: 'nasty' }, 'variant'],
      [{ kind: 'poison', variant: 'proto_keys' }, 'variant'],
      [{ kind: 'poison' }, 'variant'],
      [{ kind: 'oversized', contentLength: 'yes' }, 'contentLength'],
    ];
    for (const [spec, field] of invalid) expect(parseFaultSpec(spec)).toMatchObject({ ok: false, field });
  });

  it('copies only the known fields', () => {
    expect(parseFaultSpec({ kind: 'hang', extra: 1, ['__proto__']: { x: 1 } })).toEqual({
      ok: true,
      fault: { kind: 'hang' },
    });
  });
});
