import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createRiskClient } from './client.js';
import { riskEngineConfigFromEnv } from './config.js';
import { json, startTestEngine } from './test-support/engine-server.js';
import { analyzeRequest, engineAnswer, PLAYER_A } from './test-support/fixtures.js';

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
