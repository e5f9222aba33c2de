import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createRiskClient } from './client.js';
import { createRiskEngineConfig, riskEngineConfigFromEnv } from './config.js';
import { MAX_DETAIL_CHARS } from './interpret.js';
import { MIN_SECRET_FRAGMENT } from './secret-redactor.js';
import { json, startTestEngine } from './test-support/engine-server.js';
import { analyzeRequest, engineAnswer, PLAYER_A, PLAYER_B } from './test-support/fixtures.js';

// Contains a quote and a backslash so JSON escaping is exercised too.
const TOKEN = 's3cr3t-"tok\\en"-0123456789';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function everyRendering(value: unknown): string[] {
  return [
    JSON.stringify(value) ?? '',
    inspect(value),
    inspect(value, { showHidden: true, depth: Number.POSITIVE_INFINITY, getters: true }),
    String(value),
  ];
}

describe('the token never leaks', () => {
  it('is sent to the engine but absent from the client, its config and every result', async () => {
    // A hostile or buggy engine that echoes the authorization header everywhere it can.
    let mode = 'ok';
    const engine = await startTestEngine((req, res) => {
      const echoed = req.headers['authorization'] ?? '';
      if (mode === 'ok') {
        json(res, 200, engineAnswer([{ subjectUserId: PLAYER_A, reasonCode: echoed, payload: { echoed } }]));
      } else if (mode === 'rejected') {
        json(res, 400, { error: `bad request from ${echoed}` });
      } else {
        res.writeHead(500, { 'x-echo': encodeURIComponent(echoed) });
        res.end(echoed);
      }
    });
    cleanups.push(() => engine.close());
    const config = riskEngineConfigFromEnv({ RISK_ENGINE_URL: engine.url, RISK_ENGINE_TOKEN: TOKEN });
    const client = createRiskClient(config);
    cleanups.push(() => client.close());

    const results = [];
    for (mode of ['ok', 'rejected', 'failure']) results.push(await client.analyze(analyzeRequest()));
    expect(results.map((r) => r.status)).toEqual(['ok', 'rejected', 'unavailable']);
    expect(engine.requests[0]?.headers['authorization']).toBe(`Bearer ${TOKEN}`);

    const escaped = JSON.stringify(TOKEN).slice(1, -1);
    for (const value of [client, config, ...results]) {
      for (const text of everyRendering(value)) {
        expect(text).not.toContain(TOKEN);
        expect(text).not.toContain(escaped);
      }
    }
    expect(JSON.stringify(results)).toContain('[redacted]');
  });

  it('is absent from errors the client throws', async () => {
    const config = riskEngineConfigFromEnv({
      RISK_ENGINE_URL: 'http://127.0.0.1:9',
      RISK_ENGINE_TOKEN: TOKEN,
    });
    const client = createRiskClient(config);
    const errors: unknown[] = [];
    await client.analyze(analyzeRequest(), { requestId: 'bad id' }).catch((e: unknown) => errors.push(e));
    await client.close();
    await client.analyze(analyzeRequest()).catch((e: unknown) => errors.push(e));
    try {
      createRiskClient(config, { breaker: { resetTimeoutMs: -1 } });
    } catch (error) {
      errors.push(error);
    }
    expect(errors).toHaveLength(3);
    for (const error of errors) {
      for (const text of [...everyRendering(error), (error as Error).stack ?? ''])
        expect(text).not.toContain(TOKEN);
    }
  });
});

// Every run of MIN_SECRET_FRAGMENT characters of the token, to look for pieces of it.
function fragmentsOf(token: string): string[] {
  const pieces: string[] = [];
  for (let i = 0; i + MIN_SECRET_FRAGMENT <= token.length; i++)
    pieces.push(token.slice(i, i + MIN_SECRET_FRAGMENT));
  return pieces;
}

describe('redact, then truncate', () => {
  it('scrubs the token from a 400 detail before cutting it, so no fragment survives the cut', async () => {
    // The cut at MAX_DETAIL_CHARS falls inside the echoed token: cutting first would keep its first
    // seven characters, too few for any scrub to recognise afterwards.
    const kept = MIN_SECRET_FRAGMENT - 1;
    const prefix = 'x'.repeat(MAX_DETAIL_CHARS - kept);
    const engine = await startTestEngine((req, res) =>
      json(res, 400, { error: `${prefix}${req.headers['authorization']?.slice('Bearer '.length)} tail` }),
    );
    cleanups.push(() => engine.close());
    const client = createRiskClient(
      riskEngineConfigFromEnv({ RISK_ENGINE_URL: engine.url, RISK_ENGINE_TOKEN: TOKEN }),
    );
    cleanups.push(() => client.close());
    const result = await client.analyze(analyzeRequest());
    if (result.status !== 'rejected') throw new Error('expected rejected');
    expect(result.detail).toBe(`${prefix}${'[redacted]'.slice(0, kept)}…`);
    expect(result.detail).not.toContain(TOKEN.slice(0, kept));
    for (const piece of fragmentsOf(TOKEN)) expect(result.detail).not.toContain(piece);
  });

  it('scrubs a fragment of the token the engine echoed (a cut token) from a detail and from an answer', async () => {
    const piece = TOKEN.slice(4, 4 + MIN_SECRET_FRAGMENT + 4);
    let status = 400;
    const engine = await startTestEngine((_req, res) =>
      status === 400
        ? json(res, 400, { error: `token starts ${piece}…` })
        : json(res, 200, engineAnswer([{ subjectUserId: PLAYER_A, payload: { seen: `…${piece}…` } }])),
    );
    cleanups.push(() => engine.close());
    const client = createRiskClient(
      riskEngineConfigFromEnv({ RISK_ENGINE_URL: engine.url, RISK_ENGINE_TOKEN: TOKEN }),
    );
    cleanups.push(() => client.close());
    expect(await client.analyze(analyzeRequest())).toMatchObject({ detail: 'token starts [redacted]…' });
    status = 200;
    const ok = await client.analyze(analyzeRequest());
    if (ok.status !== 'ok') throw new Error('expected ok');
    expect(ok.signals[0]?.payload).toEqual({ seen: '…[redacted]…' });
    expect(ok.normalization.repaired.secret_redacted).toBe(1);
  });
});

describe('the token is never searched for in the raw body', () => {
  it('leaves a valid answer full of the letter of a one-character token "a" intact', async () => {
    const answer = {
      detectorVersion: 'alpha-a',
      factsVersion: 'match-facts/2026-01',
      signals: [
        {
          subjectUserId: PLAYER_A,
          signalType: 'gameplay_integrity',
          detectorKey: 'aaaa',
          detectorVersion: 'a',
          severity: 'high',
          evidenceStrength: 'substantial',
          reasonCode: 'a_a_a',
          recommendedQueue: true,
          score: 0.5,
          payload: { a: 'banana', aa: ['a', { aaa: 'a\\"a' }] },
          occurredAt: '2026-01-02T03:04:05Z',
        },
        { subjectUserId: PLAYER_B, reasonCode: 'alarm', payload: { data: 'a'.repeat(100) } },
      ],
    };
    const engine = await startTestEngine((_req, res) => json(res, 200, answer));
    cleanups.push(() => engine.close());
    const config = (token: string | null) =>
      createRiskEngineConfig({ enabled: true, url: engine.url, token, timeoutMs: 2_000 });
    const now = () => Date.parse('2026-01-02T03:05:00Z');
    const withToken = createRiskClient(config('a'), { now });
    const without = createRiskClient(config(null), { now });
    cleanups.push(
      () => withToken.close(),
      () => without.close(),
    );

    const result = await withToken.analyze(analyzeRequest());
    if (result.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
    expect(engine.requests[0]?.headers['authorization']).toBe('Bearer a');
    const reference = await without.analyze(analyzeRequest());
    expect({ ...result, latencyMs: 0 }).toEqual({ ...reference, latencyMs: 0 });
    expect(result.detectorVersion).toBe('alpha-a');
    expect(result.signals[0]).toMatchObject({ detectorKey: 'aaaa', reasonCode: 'a_a_a' });
    expect(result.signals[0]?.payload).toEqual(answer.signals[0]!.payload);
    expect(result.normalization.repaired.secret_redacted).toBe(0);
  });
});
