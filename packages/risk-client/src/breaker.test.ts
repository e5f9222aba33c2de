import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BREAKER_OPTIONS, resolveBreakerOptions } from './breaker.js';
import { createRiskClient, type RiskClient, type RiskClientOptions, type StateChange } from './client.js';
import { riskEngineConfigFromEnv } from './config.js';
import { InvalidArgumentError } from './errors.js';
import { type Handler, json, startTestEngine } from './test-support/engine-server.js';
import { analyzeRequest, engineAnswer } from './test-support/fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(handler: Handler, options: RiskClientOptions, timeout = '750ms') {
  const engine = await startTestEngine(handler);
  cleanups.push(() => engine.close());
  const client = createRiskClient(
    riskEngineConfigFromEnv({ RISK_ENGINE_URL: engine.url, RISK_ENGINE_TIMEOUT: timeout }),
    options,
  );
  cleanups.push(() => client.close());
  return { engine, client };
}

function nextEvent(client: RiskClient, event: 'open' | 'halfOpen' | 'close'): Promise<StateChange> {
  return new Promise((resolve) => {
    const listener = (change: StateChange) => {
      client.off(event, listener);
      resolve(change);
    };
    client.on(event, listener);
  });
}

const failing: Handler = (_q, s) => json(s, 500, { error: 'down' });
const healthy: Handler = (_q, s) => json(s, 200, engineAnswer());

describe('circuit breaker', () => {
  it('opens after repeated failures, then fails fast without touching a socket', async () => {
    let clock = 1_000_000;
    const { engine, client } = await setup(failing, {
      now: () => clock,
      breaker: { volumeThreshold: 3, resetTimeoutMs: 60_000 },
    });
    const opened = nextEvent(client, 'open');
    for (let i = 0; i < 3; i++) expect((await client.analyze(analyzeRequest())).status).toBe('unavailable');
    expect(await opened).toEqual({ state: 'open', lastFailure: 'http_5xx' });
    expect(client.state).toBe('open');

    const requests = engine.requests.length;
    const connections = engine.connections();
    clock += 15_000;
    for (let i = 0; i < 50; i++) {
      expect(await client.analyze(analyzeRequest())).toEqual({
        status: 'unavailable',
        reason: 'breaker_open',
        retryAfterMs: 45_000,
      });
    }
    expect(engine.requests.length).toBe(requests);
    expect(engine.connections()).toBe(connections);
  });

  it('does not open below the minimum volume', async () => {
    const { client } = await setup(failing, { breaker: { volumeThreshold: 10 } });
    for (let i = 0; i < 9; i++) await client.analyze(analyzeRequest());
    expect(client.state).toBe('closed');
  });

  it.each<[string, Handler, string]>([
    ['401', (_q, s) => json(s, 401, {}), 'unauthorized'],
    ['403', (_q, s) => json(s, 403, {}), 'unauthorized'],
    ['an invalid body', (_q, s) => s.end('not json'), 'invalid_response'],
    ['a reset connection', (_q, s) => s.socket?.destroy(), 'network'],
  ])('counts %s as a failure', async (_name, handler, reason) => {
    const { client } = await setup(handler, { breaker: { volumeThreshold: 2 } });
    const opened = nextEvent(client, 'open');
    await client.analyze(analyzeRequest());
    await client.analyze(analyzeRequest());
    expect(await opened).toEqual({ state: 'open', lastFailure: reason });
  });

  it('counts a timeout as a failure', async () => {
    const { client } = await setup(() => {}, { breaker: { volumeThreshold: 2 } }, '50ms');
    const opened = nextEvent(client, 'open');
    await client.analyze(analyzeRequest());
    await client.analyze(analyzeRequest());
    expect(await opened).toEqual({ state: 'open', lastFailure: 'timeout' });
  });

  it.each([400, 422, 429])('never counts %d against the engine', async (status) => {
    const { engine, client } = await setup((_q, s) => json(s, status, { error: 'nope' }), {
      breaker: { volumeThreshold: 1, errorThresholdPercentage: 1 },
    });
    for (let i = 0; i < 10; i++) {
      const result = await client.analyze(analyzeRequest());
      expect(result.status).toBe(status === 429 ? 'unavailable' : 'rejected');
    }
    expect(client.state).toBe('closed');
    expect(engine.requests).toHaveLength(10);
  });

  it('lets one half-open probe through and closes when it succeeds', async () => {
    let handler: Handler = failing;
    let held: ServerResponse | undefined;
    const { engine, client } = await setup((q, s) => handler(q, s), {
      breaker: { volumeThreshold: 2, resetTimeoutMs: 50 },
    });
    const opened = nextEvent(client, 'open');
    const halfOpen = nextEvent(client, 'halfOpen');
    await client.analyze(analyzeRequest());
    await client.analyze(analyzeRequest());
    await opened;
    expect(await halfOpen).toEqual({ state: 'half_open' });
    expect(client.state).toBe('half_open');

    // The probe is held by the engine while a second call arrives: that one must not be sent.
    handler = (_q, s) => {
      held = s;
    };
    const seen = engine.nextRequest();
    const probe = client.analyze(analyzeRequest());
    await seen;
    const requestsDuringProbe = engine.requests.length;
    expect(await client.analyze(analyzeRequest())).toEqual({
      status: 'unavailable',
      reason: 'breaker_open',
      retryAfterMs: 750,
    });
    expect(engine.requests.length).toBe(requestsDuringProbe);

    const closed = nextEvent(client, 'close');
    json(held!, 200, engineAnswer());
    expect((await probe).status).toBe('ok');
    expect(await closed).toEqual({ state: 'closed' });
    expect(client.state).toBe('closed');
    handler = healthy;
    expect((await client.analyze(analyzeRequest())).status).toBe('ok');
  });

  it('re-opens when the half-open probe fails', async () => {
    const { engine, client } = await setup(failing, { breaker: { volumeThreshold: 2, resetTimeoutMs: 50 } });
    const opened = nextEvent(client, 'open');
    const halfOpen = nextEvent(client, 'halfOpen');
    await client.analyze(analyzeRequest());
    await client.analyze(analyzeRequest());
    await opened;
    await halfOpen;
    const reopened = nextEvent(client, 'open');
    expect(await client.analyze(analyzeRequest())).toEqual({ status: 'unavailable', reason: 'http_5xx' });
    expect(await reopened).toEqual({ state: 'open', lastFailure: 'http_5xx' });
    const requests = engine.requests.length;
    expect((await client.analyze(analyzeRequest())).status).toBe('unavailable');
    expect(engine.requests.length).toBe(requests);
  });

  it('re-opens when the caller abandons the half-open probe, so the breaker never sticks', async () => {
    let handler: Handler = failing;
    const { engine, client } = await setup((q, s) => handler(q, s), {
      breaker: { volumeThreshold: 2, resetTimeoutMs: 50 },
    });
    const opened = nextEvent(client, 'open');
    const halfOpen = nextEvent(client, 'halfOpen');
    await client.analyze(analyzeRequest());
    await client.analyze(analyzeRequest());
    await opened;
    await halfOpen;
    handler = () => {};
    const controller = new AbortController();
    const seen = engine.nextRequest();
    const reopened = nextEvent(client, 'open');
    const probe = client.analyze(analyzeRequest(), { signal: controller.signal });
    await seen;
    const halfOpenAgain = nextEvent(client, 'halfOpen');
    controller.abort(new Error('caller gave up'));
    await expect(probe).rejects.toThrow('caller gave up');
    await reopened;
    handler = healthy;
    await halfOpenAgain;
    expect((await client.analyze(analyzeRequest())).status).toBe('ok');
    expect(client.state).toBe('closed');
  });
});

describe('breaker options', () => {
  it('documents its defaults', () => {
    expect(DEFAULT_BREAKER_OPTIONS).toEqual({
      rollingWindowMs: 10_000,
      rollingBuckets: 10,
      volumeThreshold: 5,
      errorThresholdPercentage: 50,
      resetTimeoutMs: 10_000,
    });
    expect(resolveBreakerOptions({ resetTimeoutMs: 5 })).toEqual({
      ...DEFAULT_BREAKER_OPTIONS,
      resetTimeoutMs: 5,
    });
  });

  it.each([
    [{ resetTimeoutMs: 0 }, 'breaker.resetTimeoutMs'],
    [{ rollingWindowMs: -1 }, 'breaker.rollingWindowMs'],
    [{ errorThresholdPercentage: 101 }, 'breaker.errorThresholdPercentage'],
    [{ volumeThreshold: Number.NaN }, 'breaker.volumeThreshold'],
    [{ rollingBuckets: 3 }, 'breaker.rollingBuckets'],
  ])('rejects %j naming %s', (options, argument) => {
    let thrown: unknown;
    try {
      resolveBreakerOptions(options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as InvalidArgumentError).argument).toBe(argument);
  });
});
