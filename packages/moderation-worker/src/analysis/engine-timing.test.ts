import type { FakeRiskEngine } from '@geoduels/fake-risk-engine';
import { FACTS_VERSION, type RiskClient } from '@geoduels/risk-client';
import type { AnalyzeRequest } from '@geoduels/risk-client/signals';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerMetrics, type WorkerMetrics } from '../runtime/metrics.js';
import { clientFor, scriptedDetector, startScriptedEngine } from '../test-support/worker-harness.js';
import { timeEngineCalls } from './engine-timing.js';

const MATCH = '71000000-0000-4000-8000-000000000001';
const PLAYER = '71000000-0000-4000-8000-00000000000a';
const REQUEST: AnalyzeRequest = {
  matchId: MATCH,
  factsVersion: FACTS_VERSION,
  generatedAt: '2026-03-01T12:00:00.000Z',
  players: [{ userId: PLAYER, events: [] }],
};

let engine: FakeRiskEngine;
const clients: RiskClient[] = [];

beforeAll(async () => {
  engine = await startScriptedEngine(scriptedDetector());
});
afterEach(() => engine.reset());
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await engine.stop();
});

/** A timed client (500 ms deadline) and the metrics it reports into. */
function timed(url: string | null = engine.url): { analyze: () => Promise<unknown>; metrics: WorkerMetrics } {
  const client = clientFor(url);
  clients.push(client);
  const metrics = createWorkerMetrics(new Registry());
  const analyzer = timeEngineCalls(client, metrics.engineDuration);
  return { analyze: () => analyzer.analyze(REQUEST), metrics };
}

/** Count and sum of the engine call histogram for one outcome. */
async function observed(metrics: WorkerMetrics, outcome: string): Promise<{ count: number; sum: number }> {
  const { values } = await metrics.engineDuration.get();
  const value = (name: string) =>
    values.find((v) => v.metricName === name && v.labels.outcome === outcome)?.value ?? 0;
  return {
    count: value('moderation_risk_engine_request_duration_seconds_count'),
    sum: value('moderation_risk_engine_request_duration_seconds_sum'),
  };
}

describe('engine call timing', () => {
  it('observes the wall time of an answered call as ok', async () => {
    const { analyze, metrics } = timed();
    engine.setFault({ kind: 'latency', ms: 200, times: 1 });
    await expect(analyze()).resolves.toMatchObject({ status: 'ok' });
    const ok = await observed(metrics, 'ok');
    expect(ok.count).toBe(1);
    expect(ok.sum).toBeGreaterThanOrEqual(0.19);
    expect(ok.sum).toBeLessThan(0.5);
  });

  it('observes a call cut off by the deadline as timeout, near the deadline', async () => {
    const { analyze, metrics } = timed();
    engine.setFault({ kind: 'hang', times: 1 });
    await expect(analyze()).resolves.toMatchObject({ status: 'unavailable', reason: 'timeout' });
    const timeout = await observed(metrics, 'timeout');
    expect(timeout.count).toBe(1);
    expect(timeout.sum).toBeGreaterThanOrEqual(0.49);
    expect(timeout.sum).toBeLessThan(0.75);
  });

  it('observes refusals and server errors under their own outcome', async () => {
    const { analyze, metrics } = timed();
    engine.setFault({ kind: 'status', code: 422, times: 1 });
    await expect(analyze()).resolves.toMatchObject({ status: 'rejected' });
    engine.setFault({ kind: 'status', code: 503, times: 1 });
    await expect(analyze()).resolves.toMatchObject({ status: 'unavailable', reason: 'http_5xx' });
    expect((await observed(metrics, 'rejected')).count).toBe(1);
    expect((await observed(metrics, 'http_5xx')).count).toBe(1);
    expect((await observed(metrics, 'ok')).count).toBe(0);
  });

  it('observes nothing while the engine is disabled: no call is made', async () => {
    const { analyze, metrics } = timed(null);
    await expect(analyze()).resolves.toEqual({ status: 'disabled' });
    const { values } = await metrics.engineDuration.get();
    expect(values.filter((v) => v.metricName?.endsWith('_count')).every((v) => v.value === 0)).toBe(true);
    expect(values.some((v) => v.labels.outcome === 'disabled')).toBe(false);
  });
});
