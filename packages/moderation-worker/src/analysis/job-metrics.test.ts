// What the analysis worker counts for dashboards and alerts, end to end through a real queue and a
// real engine client; the store is the in-memory one (its own write is tested in match-store.test.ts).
import type { FakeRiskEngine } from '@geoduels/fake-risk-engine';
import { FACTS_VERSION, type RiskClient } from '@geoduels/risk-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inMemoryMatchStore } from '../test-support/in-memory-match-store.js';
import {
  captureLogger,
  clientFor,
  scriptedDetector,
  startScriptedEngine,
  startTestWorker,
  type TestWorker,
} from '../test-support/worker-harness.js';
import { JOB_NAME, rankedMatchJobId } from './job.js';

const PLAYER = '72000000-0000-4000-8000-00000000000a';
const detector = scriptedDetector();
const store = inMemoryMatchStore();
let engine: FakeRiskEngine;
let client: RiskClient;
let w: TestWorker;
let seq = 0;

/** A match the store knows the facts of. */
function knownMatch(): string {
  seq += 1;
  const matchId = `72000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  store.script.facts.set(matchId, {
    kind: 'facts',
    request: {
      matchId,
      factsVersion: FACTS_VERSION,
      generatedAt: '2026-03-01T12:00:00.000Z',
      players: [{ userId: PLAYER, events: [] }],
    },
  });
  return matchId;
}

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await w.metrics.registry.getSingleMetric(name)?.get();
  return (
    metric?.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))?.value ??
    0
  );
}

beforeAll(async () => {
  engine = await startScriptedEngine(detector);
  client = clientFor(engine.url);
  const flow = { store, analyzer: client, now: () => new Date(), maxDeferMs: 3_600_000 };
  w = await startTestWorker(flow, client, captureLogger().logger, 2);
});
afterEach(() => {
  engine.reset();
  detector.signals = [];
});
afterAll(async () => {
  await w.close();
  await client.close();
  await engine.stop();
});

describe('the analysis job metrics', () => {
  it('count the signals a write stored by detector key and severity', async () => {
    const matchId = knownMatch();
    detector.signals = [
      { subjectUserId: PLAYER, detectorKey: 'fast_precise', reasonCode: 'a', severity: 'high', score: 0.9 },
      { subjectUserId: PLAYER, detectorKey: 'fast_precise', reasonCode: 'b', severity: 'high', score: 0.8 },
      { subjectUserId: PLAYER, reasonCode: 'c', severity: 'low', score: 0.1 },
    ];
    await w.queue.add(JOB_NAME, { matchId }, { jobId: rankedMatchJobId(matchId) });
    expect((await w.settled(rankedMatchJobId(matchId))).returnvalue).toMatchObject({ kind: 'analyzed' });
    expect(
      await counter('moderation_signals_stored_total', { detector_key: 'fast_precise', severity: 'high' }),
    ).toBe(2);
    expect(await counter('moderation_signals_stored_total', { detector_key: 'none', severity: 'low' })).toBe(
      1,
    );
  });

  it('count jobs that end in the failed set: rejected, invalid, and out of retries', async () => {
    const rejected = knownMatch();
    engine.setFault({ kind: 'status', code: 422, times: 1 });
    await w.queue.add(JOB_NAME, { matchId: rejected }, { jobId: rankedMatchJobId(rejected) });
    expect(await (await w.settled(rankedMatchJobId(rejected))).getState()).toBe('failed');

    await w.queue.add(JOB_NAME, { matchId: 'not-a-uuid' }, { jobId: 'invalid-job' });
    expect(await (await w.settled('invalid-job')).getState()).toBe('failed');

    // A store that keeps failing: retried while attempts remain, counted once the last one fails.
    const broken = knownMatch();
    const loadFacts = store.loadFacts;
    store.loadFacts = async (id, now) =>
      id === broken ? Promise.reject(new Error('db down')) : loadFacts(id, now);
    try {
      await w.queue.add(
        JOB_NAME,
        { matchId: broken },
        { jobId: rankedMatchJobId(broken), attempts: 2, backoff: 0 },
      );
      expect(await (await w.settled(rankedMatchJobId(broken))).getState()).toBe('failed');
    } finally {
      store.loadFacts = loadFacts;
    }

    expect(await counter('moderation_analysis_jobs_failed_total', { reason: 'rejected' })).toBe(1);
    expect(await counter('moderation_analysis_jobs_failed_total', { reason: 'invalid' })).toBe(1);
    expect(await counter('moderation_analysis_jobs_failed_total', { reason: 'retries_exhausted' })).toBe(1);
    expect(await counter('moderation_analysis_jobs_total', { outcome: 'error' })).toBe(2);
    expect(await counter('moderation_analysis_jobs_failed_total', { reason: 'abandoned' })).toBe(0);
  });
});
