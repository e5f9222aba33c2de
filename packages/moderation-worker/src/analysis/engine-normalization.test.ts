import type { FakeRiskEngine } from '@geoduels/fake-risk-engine';
import { FACTS_VERSION, type RiskClient } from '@geoduels/risk-client';
import type { AnalyzeRequest } from '@geoduels/risk-client/signals';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerMetrics } from '../runtime/metrics.js';
import { clientFor, scriptedDetector, startScriptedEngine } from '../test-support/worker-harness.js';
import { countNormalization } from './engine-normalization.js';

const MATCH = '72000000-0000-4000-8000-000000000001';
const PLAYER = '72000000-0000-4000-8000-00000000000a';
const REQUEST: AnalyzeRequest = {
  matchId: MATCH,
  factsVersion: FACTS_VERSION,
  generatedAt: '2026-03-01T12:00:00.000Z',
  players: [{ userId: PLAYER, events: [] }],
};

let engine: FakeRiskEngine;
let client: RiskClient;

beforeAll(async () => {
  engine = await startScriptedEngine(scriptedDetector());
  client = clientFor(engine.url);
});
afterEach(() => engine.reset());
afterAll(async () => {
  await client.close();
  await engine.stop();
});

async function normalized(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('moderation_risk_engine_normalized_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [`${v.labels.family}/${v.labels.reason}`, v.value]));
}

describe('normalisation counts of answered engine calls', () => {
  it('counts what the client repaired in a poison answer, by family and reason, from zero', async () => {
    const registry = new Registry();
    const metrics = createWorkerMetrics(registry);
    const analyzer = countNormalization(client, metrics.engineNormalized);
    const before = await normalized(registry);
    expect(before['repaired/occurred_at_out_of_range']).toBe(0);
    expect(before['signal_dropped/identifier_nul']).toBe(0);
    expect(before['payload_dropped/nul_character']).toBe(0);

    engine.setFault({ kind: 'poison', variant: 'zero_year_time', times: 1 });
    await expect(analyzer.analyze(REQUEST)).resolves.toMatchObject({ status: 'ok' });
    engine.setFault({ kind: 'poison', variant: 'nul_payload_key', times: 1 });
    await expect(analyzer.analyze(REQUEST)).resolves.toMatchObject({ status: 'ok' });

    const after = await normalized(registry);
    expect(after['repaired/occurred_at_out_of_range']).toBe(1);
    expect(after['payload_dropped/nul_character']).toBe(1);
    const others = Object.entries(after).filter(
      ([key]) => key !== 'repaired/occurred_at_out_of_range' && key !== 'payload_dropped/nul_character',
    );
    expect(others.every(([, value]) => value === 0)).toBe(true);
  });

  it('counts nothing for a clean answer or a call that was not answered', async () => {
    const registry = new Registry();
    const metrics = createWorkerMetrics(registry);
    const analyzer = countNormalization(client, metrics.engineNormalized);
    await expect(analyzer.analyze(REQUEST)).resolves.toMatchObject({ status: 'ok' });
    engine.setFault({ kind: 'status', code: 503, times: 1 });
    await expect(analyzer.analyze(REQUEST)).resolves.toMatchObject({ status: 'unavailable' });
    expect(Object.values(await normalized(registry)).every((value) => value === 0)).toBe(true);
  });
});
