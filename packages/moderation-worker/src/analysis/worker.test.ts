import type { FakeRiskEngine } from '@geoduels/fake-risk-engine';
import type { RiskClient } from '@geoduels/risk-client';
import type { TempDatabase } from '@geoduels/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/pool.js';
import {
  captureLogger,
  clientFor,
  createMigratedDatabase,
  eventually,
  scriptedDetector,
  seedMatch,
  startScriptedEngine,
  startTestWorker,
  stateAfterRun,
  type TestWorker,
} from '../test-support/worker-harness.js';
import { enqueueRankedMatchPersisted, JOB_NAME, rankedMatchJobId, requeueRankedMatch } from './job.js';
import { directMatchStore } from './match-io.js';

let temp: TempDatabase;
let db: Database;
let engine: FakeRiskEngine;
const detector = scriptedDetector();
const cleanups: Array<() => Promise<unknown>> = [];
let seq = 0;

const A = '50000000-0000-4000-8000-00000000000a';
const B = '50000000-0000-4000-8000-00000000000b';
const TOKEN = 'sekret-token-do-not-log-123';

async function newMatch(): Promise<string> {
  seq += 1;
  const matchId = `60000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  await seedMatch(db, matchId, [
    { userId: A, events: [[1, 4000, 2000, 0.5, '2026-02-28T10:00:00Z']] },
    { userId: B, events: [[1, 3000, 6000, 0.1, '2026-02-28T10:00:00Z']] },
  ]);
  return matchId;
}

async function worker(
  options: {
    url?: string | null;
    maxDeferMs?: number;
    concurrency?: number;
    token?: string;
    breakerResetMs?: number;
  } = {},
) {
  const client: RiskClient = clientFor(options.url === undefined ? engine.url : options.url, options);
  const log = captureLogger();
  const flow = {
    store: directMatchStore(db),
    analyzer: client,
    now: () => new Date(),
    maxDeferMs: options.maxDeferMs ?? 3_600_000,
  };
  const started: TestWorker = await startTestWorker(flow, client, log.logger, options.concurrency ?? 4);
  cleanups.push(async () => {
    await started.close();
    await client.close();
  });
  return { ...started, client, log };
}

async function runRow(matchId: string) {
  const result = await db.pool.query(
    'SELECT status, attempts, last_failure FROM risk_analysis_runs WHERE match_id = $1',
    [matchId],
  );
  return result.rows[0];
}

async function counts(matchId: string) {
  const result = await db.pool.query<{ signals: number; outbox: number }>(
    `SELECT (SELECT count(*)::int FROM moderation_signals WHERE match_id = $1) AS signals,
            (SELECT count(*)::int FROM notification_outbox o JOIN moderation_signals s
               ON o.dedupe_key = 'moderation_signal:' || s.id || ':queued' WHERE s.match_id = $1) AS outbox`,
    [matchId],
  );
  return result.rows[0];
}

async function metricValue(
  w: { metrics: TestWorker['metrics'] },
  name: string,
  labels: Record<string, string>,
) {
  const metric = await w.metrics.registry.getSingleMetric(name)?.get();
  const found = metric?.values.find((v) =>
    Object.entries(labels).every(([k, value]) => v.labels[k] === value),
  );
  return found?.value ?? 0;
}

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('worker'));
  engine = await startScriptedEngine(detector);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  engine.reset();
  detector.signals = [];
});
afterAll(async () => {
  await engine.stop();
  await db.pool.end();
  await temp.drop();
});

describe('the analysis worker', () => {
  it('analyses an enqueued match once, however often it is enqueued or redelivered', async () => {
    const w = await worker();
    const matchId = await newMatch();
    detector.signals = [
      { subjectUserId: A, reasonCode: 'queued', severity: 'critical', score: 0.9 },
      { subjectUserId: B, reasonCode: 'quiet', severity: 'low', score: 0.1 },
    ];
    const [first, second] = await Promise.all([
      enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.queue.opts.prefix }),
      enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.queue.opts.prefix }),
    ]);
    expect(first).toEqual({ ok: true, jobId: rankedMatchJobId(matchId) });
    expect(second).toEqual(first);
    const job = await w.settled(rankedMatchJobId(matchId));
    expect(job.returnvalue).toMatchObject({ kind: 'analyzed', signalCount: 2, outboxInserted: 1 });
    expect(engine.requestCount()).toBe(1);

    // Redelivery: the same job runs again (as after a stall or an operator re-enqueue).
    const rerun = new Promise((resolve) => w.worker.once('completed', resolve));
    expect(await requeueRankedMatch(w.queue, matchId)).toBe('queued');
    await rerun;
    expect(engine.requestCount()).toBe(2);
    expect(await counts(matchId)).toEqual({ signals: 2, outbox: 1 });
    expect(await runRow(matchId)).toMatchObject({ status: 'analyzed', attempts: 2 });
  });

  it('completes jobs as skipped_disabled with no engine traffic and no log line above debug', async () => {
    const w = await worker({ url: null });
    const matchIds = [await newMatch(), await newMatch()];
    for (const matchId of matchIds)
      await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.queue.opts.prefix });
    for (const matchId of matchIds) {
      const job = await w.settled(rankedMatchJobId(matchId));
      expect(job.returnvalue).toEqual({ kind: 'skipped_disabled' });
      expect(await runRow(matchId)).toMatchObject({ status: 'skipped_disabled' });
    }
    expect(engine.requestCount()).toBe(0);
    expect(w.log.lines().filter((line) => line.level > 20)).toEqual([]);
  });

  it('defers the match without using an attempt while the engine fails, then analyses it', async () => {
    const w = await worker();
    const matchId = await newMatch();
    detector.signals = [{ subjectUserId: A, reasonCode: 'late', severity: 'high', score: 0.5 }];
    engine.setFault({ kind: 'status', code: 503, times: 1 });
    await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.queue.opts.prefix });
    const job = await w.settled(rankedMatchJobId(matchId));
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(1);
    expect(await runRow(matchId)).toMatchObject({ status: 'analyzed', attempts: 2, last_failure: null });
    expect(
      await metricValue(w, 'moderation_risk_engine_calls_total', {
        status: 'unavailable',
        reason: 'http_5xx',
      }),
    ).toBe(1);
  });

  it('pauses pulling jobs while the breaker is open: the engine sees no traffic until the half-open probe', async () => {
    const w = await worker({ concurrency: 1, breakerResetMs: 1_500 });
    engine.setFault({ kind: 'status', code: 500 });
    let atOpen = -1;
    let atHalfOpen = -1;
    w.client.on('open', () => {
      if (atOpen === -1) atOpen = engine.requestCount();
      engine.clearFaults();
    });
    w.client.on('halfOpen', () => {
      if (atHalfOpen === -1) atHalfOpen = engine.requestCount();
    });
    const matchIds: string[] = [];
    for (let i = 0; i < 5; i += 1) matchIds.push(await newMatch());
    for (const matchId of matchIds)
      await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.queue.opts.prefix });
    for (const matchId of matchIds) {
      const job = await w.settled(rankedMatchJobId(matchId));
      expect(await job.getState()).toBe('completed');
      expect(job.attemptsMade).toBe(1);
      expect(await runRow(matchId)).toMatchObject({ status: 'analyzed' });
    }
    expect(atOpen).toBeGreaterThan(0);
    expect(atHalfOpen).toBe(atOpen);
    expect(
      await metricValue(w, 'moderation_risk_engine_calls_total', {
        status: 'unavailable',
        reason: 'breaker_open',
      }),
    ).toBeGreaterThan(0);
    expect(await metricValue(w, 'moderation_risk_engine_breaker_transitions_total', { to: 'open' })).toBe(1);
    expect(w.log.lines().filter((line) => /circuit opened/.test(line.msg))).toHaveLength(1);
  });

  it('takes one job at a time while the breaker is open, and its full concurrency once it closes', async () => {
    const w = await worker({ concurrency: 8, breakerResetMs: 250 });
    engine.setFault({ kind: 'status', code: 503 });
    const matchIds: string[] = [];
    for (let i = 0; i < 24; i += 1) matchIds.push(await newMatch());
    for (const matchId of matchIds)
      await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.queue.opts.prefix });
    await eventually(async () =>
      (await metricValue(w, 'moderation_risk_engine_breaker_transitions_total', { to: 'open' })) >= 1
        ? true
        : undefined,
    );
    expect(w.worker.concurrency).toBe(1);
    const deferred = () => metricValue(w, 'moderation_analysis_jobs_total', { outcome: 'deferred' });
    // Let the first wave (taken before the breaker opened) settle, then watch several breaker periods.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await deferred();
    const probesBefore = await metricValue(w, 'moderation_risk_engine_breaker_transitions_total', {
      to: 'half_open',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const probes =
      (await metricValue(w, 'moderation_risk_engine_breaker_transitions_total', { to: 'half_open' })) -
      probesBefore;
    // Each period takes two jobs, not eight: the probe (deferred for the 503), then one that meets
    // the reopened breaker and pauses the queue again; plus a period straddling the window's edges.
    expect(probes).toBeGreaterThanOrEqual(2);
    expect((await deferred()) - before).toBeLessThanOrEqual(2 * (probes + 1));

    engine.clearFaults();
    for (const matchId of matchIds) {
      const job = await w.settled(rankedMatchJobId(matchId));
      expect(await job.getState()).toBe('completed');
    }
    expect(w.worker.concurrency).toBe(8);
  });

  it('fails the job permanently with the engine reason when the engine rejects the request', async () => {
    const w = await worker();
    const matchId = await newMatch();
    engine.setFault({ kind: 'status', code: 422 });
    await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.queue.opts.prefix });
    const job = await w.settled(rankedMatchJobId(matchId));
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/^rejected by the risk engine \(422\): /);
    expect(await runRow(matchId)).toMatchObject({ status: 'rejected', attempts: 1 });
    expect(engine.requestCount()).toBe(1);
  });

  it('fails invalid job data at once, naming the field, without retrying', async () => {
    const w = await worker();
    await w.queue.add(JOB_NAME, { matchId: 'not-a-uuid' }, { jobId: 'bad-job' });
    // A retried job would sit in delayed: named at once, not after the retries or the test timeout.
    expect(await stateAfterRun(w.queue, 'bad-job', 10_000), 'invalid data must fail the job for good').toBe(
      'failed',
    );
    const job = (await w.queue.getJob('bad-job'))!;
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/^invalid job data: matchId: /);
    expect(engine.requestCount()).toBe(0);
    expect(await enqueueRankedMatchPersisted(w.queue, 'nope', { prefix: w.queue.opts.prefix })).toMatchObject(
      {
        ok: false,
        reason: 'invalid_match_id',
      },
    );
  });

  it('abandons a match deferred past the maximum deferral, logging and counting it once', async () => {
    const w = await worker({ maxDeferMs: 1 });
    const matchId = await newMatch();
    engine.setFault({ kind: 'status', code: 500 });
    await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.queue.opts.prefix });
    const job = await w.settled(rankedMatchJobId(matchId));
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/^abandoned after the maximum deferral/);
    expect(await runRow(matchId)).toMatchObject({ status: 'abandoned' });
    expect(w.log.lines().filter((line) => line.msg === 'match analysis abandoned')).toHaveLength(1);
    const abandoned = await w.metrics.registry.getSingleMetric('moderation_abandoned_matches_total')?.get();
    expect(abandoned?.values.reduce((sum, v) => sum + v.value, 0)).toBe(1);
  });

  it('logs a refused token once per change, never the token itself', async () => {
    await engine.stop();
    engine = await startScriptedEngine(detector, 'the-right-token');
    const w = await worker({ token: TOKEN, breakerResetMs: 200 });
    const matchIds = [await newMatch(), await newMatch(), await newMatch()];
    for (const matchId of matchIds)
      await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.queue.opts.prefix });
    // Wait for the breaker to open a second time: a half-open probe met the 401 again.
    await eventually(async () =>
      (await metricValue(w, 'moderation_risk_engine_breaker_transitions_total', { to: 'open' })) >= 2
        ? true
        : undefined,
    );
    const rows = await Promise.all(matchIds.map(runRow));
    expect(rows.every((row) => row?.status === 'deferred')).toBe(true);
    expect(w.log.lines().filter((line) => /refused our token/.test(line.msg))).toHaveLength(1);
    expect(w.log.text()).not.toContain(TOKEN);
    const metrics = await w.metrics.registry.metrics();
    expect(metrics).not.toContain(TOKEN);
  });
});
