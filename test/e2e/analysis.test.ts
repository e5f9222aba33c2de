// Fault-matrix rows: the healthy path, "engine slow but under the timeout", "invalid job data,
// unknown match", and "token never in logs/errors/metrics/job data", against one real worker process.

import { randomUUID } from 'node:crypto';
import { type FakeRiskEngine, startFakeRiskEngine } from '@geoduels/fake-risk-engine';
import { JOB_NAME, rankedMatchJobId } from '@geoduels/moderation-worker';
import {
  messageIncludes,
  pollUntil,
  startWebhookReceiver,
  startWorker,
  stopAllProcesses,
  type WebhookReceiver,
  type WorkerProcess,
} from '@geoduels/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedSignals, sortSignals } from '../support/expected-signals.js';
import { scrapeMetrics } from '../support/metrics.js';
import { deliveryReport, expectExactlyOnce, runsByMatch, storedSignals } from '../support/observe.js';
import { createScenario, type Scenario } from '../support/scenario.js';
import { findSecretLeaks, testSecrets } from '../support/secrets.js';
import { seedEmptyMatch, seedRankedMatches } from '../support/seed.js';

const secrets = testSecrets();
let scenario: Scenario;
let engine: FakeRiskEngine;
let webhook: WebhookReceiver;
let worker: WorkerProcess;

beforeAll(async () => {
  [scenario, engine, webhook] = await Promise.all([
    createScenario({ label: 'analysis', migrateWith: 'cli' }),
    startFakeRiskEngine({ token: secrets.engineToken }),
    startWebhookReceiver(),
  ]);
  worker = await startWorker(
    scenario.workerEnv({
      RISK_ENGINE_URL: engine.url,
      RISK_ENGINE_TOKEN: secrets.engineToken,
      RISK_ENGINE_TIMEOUT: '3s',
      MODERATION_WEBHOOK_URL: `${webhook.url}/api/webhooks/1/${secrets.webhookSecret}`,
      MODERATION_WORKER_CONCURRENCY: '8',
    }),
    'analysis-worker',
  );
  await worker.waitReady();
});

afterAll(async () => {
  await worker?.stop();
  await stopAllProcesses();
  await Promise.allSettled([engine?.stop(), webhook?.close()]);
  await scenario?.close();
});

describe.sequential('analysis end to end (one worker process, fake engine, webhook)', () => {
  it('analyses every enqueued match once: stored signals equal what the engine returned, one outbox row and one webhook delivery per queued signal', async () => {
    const seeded = await seedRankedMatches(scenario.pool, { matches: 60, seed: 11 });
    const ids = seeded.matches.map((m) => m.matchId);
    await scenario.enqueue(ids);

    await pollUntil(async () => (await scenario.queue.getJobCounts('completed')).completed === ids.length, {
      description: 'all 60 jobs completed',
      timeoutMs: 60_000,
    });
    const runs = await runsByMatch(scenario.pool, ids);
    expect([...runs.values()].map((run) => [run.status, run.attempts])).toEqual(
      ids.map(() => ['analyzed', 1]),
    );

    const { expected, audit } = await expectExactlyOnce(scenario.pool, seeded.matches, ids);
    expect(expected.some((s) => s.queued)).toBe(true);
    await webhook.waitForCount(audit.outboxRows);
    await pollUntil(
      async () =>
        (await scenario.pool.query('SELECT 1 FROM notification_outbox WHERE sent_at IS NULL')).rowCount === 0,
      { description: 'every outbox row marked sent' },
    );
    expect(await deliveryReport(scenario.pool, webhook.received)).toEqual({ missing: [], unexpected: [] });
    // Every request carried the bearer token the fake checks, so none was refused.
    expect(engine.requests().filter((r) => r.path === '/v1/analyze')).toHaveLength(ids.length);
  });

  it('analyses normally when the engine is slow but under the timeout', async () => {
    const seeded = await seedRankedMatches(scenario.pool, { matches: 4, seed: 12 });
    const ids = seeded.matches.map((m) => m.matchId);
    engine.setFault({ kind: 'latency', ms: 1_000, times: ids.length });
    await scenario.enqueue(ids);
    await pollUntil(async () => [...(await runsByMatch(scenario.pool, ids)).values()].length === ids.length, {
      description: 'run rows of the slow matches',
      timeoutMs: 30_000,
    });
    const runs = await runsByMatch(scenario.pool, ids);
    expect([...runs.values()].map((r) => [r.status, r.attempts, r.last_failure])).toEqual(
      ids.map(() => ['analyzed', 1, null]),
    );
    expect(engine.faults()).toEqual([]);
    expect(await storedSignals(scenario.pool, ids)).toEqual(
      sortSignals(seeded.matches.flatMap(expectedSignals)),
    );
  });

  it('fails a job with invalid data at once and permanently, naming the field, and keeps working', async () => {
    const job = await scenario.queue.add(JOB_NAME, { matchId: 'not-a-uuid' }, { jobId: 'invalid-data-job' });
    // It leaves the active list at once: failed for good, or (a regression) delayed for a retry, which
    // this names in seconds instead of waiting out the retries.
    const state = await pollUntil(
      async () => {
        const now = await job.getState();
        return ['failed', 'delayed', 'completed'].includes(now) ? now : undefined;
      },
      { description: 'the invalid job to leave the wait and active lists', timeoutMs: 10_000 },
    );
    expect(state, 'the invalid job must fail for good, not wait for a retry').toBe('failed');
    const failed = await scenario.queue.getJob('invalid-data-job');
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/invalid job data: matchId/);
    await expect(scenario.queue.getJob('invalid-data-job').then((j) => j?.getState())).resolves.toBe(
      'failed',
    );

    const [next] = (await seedRankedMatches(scenario.pool, { matches: 1, seed: 13 })).matches;
    await scenario.enqueue([next!.matchId]);
    await pollUntil(
      async () => (await runsByMatch(scenario.pool, [next!.matchId])).get(next!.matchId)?.status,
      {
        description: 'the next valid match analysed',
      },
    );
    expect((await runsByMatch(scenario.pool, [next!.matchId])).get(next!.matchId)?.status).toBe('analyzed');
  });

  it('settles an unknown match and a match without ranked events once, with the reason, and never calls the engine for them', async () => {
    const unknown = randomUUID();
    const empty = await seedEmptyMatch(scenario.pool);
    const before = engine.requestCount();
    await scenario.enqueue([unknown, empty]);
    for (const id of [unknown, empty]) {
      await pollUntil(async () => (await scenario.queue.getJob(rankedMatchJobId(id)))?.finishedOn, {
        description: `job of ${id} finished`,
      });
    }
    const runs = await runsByMatch(scenario.pool, [unknown, empty]);
    expect(runs.get(unknown)).toMatchObject({
      status: 'skipped_no_facts',
      last_failure: 'unknown_match',
      attempts: 1,
    });
    expect(runs.get(empty)).toMatchObject({
      status: 'skipped_no_facts',
      last_failure: 'no_ranked_events',
      attempts: 1,
    });
    const job = await scenario.queue.getJob(rankedMatchJobId(unknown));
    expect(job?.attemptsMade).toBeLessThanOrEqual(1);
    expect(job?.returnvalue).toMatchObject({ kind: 'skipped_no_facts', reason: 'unknown_match' });
    expect(engine.requestCount()).toBe(before);
  });

  it('never writes the engine token or the webhook secret into logs, metrics, job data or failure reasons', async () => {
    const metrics = await scrapeMetrics(`${worker.baseUrl}/metrics`);
    const health = await (await fetch(`${worker.baseUrl}/health`)).text();
    const jobs = await scenario.queue.getJobs(['completed', 'failed', 'delayed', 'wait']);
    const jobText = JSON.stringify(jobs.map((j) => [j.data, j.failedReason, j.returnvalue, j.stacktrace]));
    await worker.logs.waitFor(
      messageIncludes('review notification delivery started'),
      'delivery started line',
    );
    const leaks = findSecretLeaks(
      { logs: worker.logs.text(), metrics: metrics.text, health, jobs: jobText },
      [secrets.engineToken, secrets.webhookSecret],
    );
    expect(leaks).toEqual([]);
    // The scan is only meaningful if the worker really used both secrets.
    expect(engine.requests()[0]?.headers.authorization).toBe('Bearer ***');
    expect(webhook.received[0]?.path).toContain(secrets.webhookSecret);
  });
});
