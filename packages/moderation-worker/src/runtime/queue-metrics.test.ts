import { deletePrefix, REDIS_URL, uniquePrefix } from '@geoduels/test-support';
import { type Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_NAME, openRankedMatchQueue } from '../analysis/job.js';
import { closedPort } from '../test-support/closed-port.js';
import { eventually } from '../test-support/worker-harness.js';
import { readQueueStats, registerQueueMetrics } from './queue-metrics.js';

const prefix = uniquePrefix('queue_metrics');
let connection: Redis;
let queue: Queue;

beforeAll(() => {
  connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queue = openRankedMatchQueue(connection, { name: 'moderation.risk-analysis', prefix });
});
afterAll(async () => {
  await queue.close();
  connection.disconnect();
  await deletePrefix(REDIS_URL, prefix);
});

/** The sample lines of one metric family in a scrape. */
function family(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('the analysis queue metrics', () => {
  it('report jobs by state and how long the oldest waiting job has waited, paused jobs included', async () => {
    const registry = new Registry();
    let now = Date.now();
    registerQueueMetrics(registry, () => readQueueStats(queue, now));
    expect(family(await registry.metrics(), 'moderation_queue_oldest_waiting_job_age_seconds')).toEqual([
      'moderation_queue_oldest_waiting_job_age_seconds 0',
    ]);

    // One job fails for good through a real worker, before anything else is queued.
    const worker = new Worker(
      'moderation.risk-analysis',
      async () => {
        throw new UnrecoverableError('bad data');
      },
      { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix },
    );
    await queue.add(JOB_NAME, { matchId: 'bad' }, { jobId: 'bad' });
    await eventually(async () => ((await queue.getJobState('bad')) === 'failed' ? true : undefined));
    await worker.close();
    await worker.disconnect();

    now = Date.now();
    await queue.add(JOB_NAME, { matchId: 'old' }, { jobId: 'old', timestamp: now - 90_000 });
    await queue.add(JOB_NAME, { matchId: 'new' }, { jobId: 'new', timestamp: now - 5_000 });
    await queue.add(JOB_NAME, { matchId: 'later' }, { jobId: 'later', delay: 3_600_000 });
    const waiting = await registry.metrics();
    expect(family(waiting, 'moderation_queue_jobs')).toEqual([
      'moderation_queue_jobs{state="waiting"} 2',
      'moderation_queue_jobs{state="active"} 0',
      'moderation_queue_jobs{state="delayed"} 1',
      'moderation_queue_jobs{state="failed"} 1',
    ]);
    expect(family(waiting, 'moderation_queue_paused')).toEqual(['moderation_queue_paused 0']);
    expect(family(waiting, 'moderation_queue_oldest_waiting_job_age_seconds')).toEqual([
      'moderation_queue_oldest_waiting_job_age_seconds 90',
    ]);

    await queue.pause();
    try {
      now += 10_000;
      const paused = await registry.metrics();
      expect(family(paused, 'moderation_queue_paused')).toEqual(['moderation_queue_paused 1']);
      // BullMQ 6 keeps a paused queue's jobs waiting.
      expect(family(paused, 'moderation_queue_jobs')).toContain('moderation_queue_jobs{state="waiting"} 2');
      expect(family(paused, 'moderation_queue_oldest_waiting_job_age_seconds')).toEqual([
        'moderation_queue_oldest_waiting_job_age_seconds 100',
      ]);
      expect(family(paused, 'moderation_queue_stats_read_failures_total')).toEqual([
        'moderation_queue_stats_read_failures_total 0',
      ]);
    } finally {
      await queue.resume();
    }
  });

  it('answers the scrape within its bound while Redis is unreachable: no values, and the failure counted', async () => {
    const dead = new Redis(`redis://127.0.0.1:${await closedPort()}`, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 1_000,
    });
    dead.on('error', () => undefined);
    const deadQueue = openRankedMatchQueue(dead, { prefix: uniquePrefix('queue_metrics_dead') });
    deadQueue.on('error', () => undefined);
    try {
      const registry = new Registry();
      registerQueueMetrics(registry, () => readQueueStats(deadQueue, Date.now()), { timeoutMs: 200 });
      const started = performance.now();
      const text = await registry.metrics();
      expect(performance.now() - started).toBeLessThan(1_000);
      // prom-client writes NaN as `Nan`; Prometheus parses it case-insensitively.
      expect(family(text, 'moderation_queue_jobs')).toContain('moderation_queue_jobs{state="waiting"} Nan');
      expect(family(text, 'moderation_queue_oldest_waiting_job_age_seconds')).toEqual([
        'moderation_queue_oldest_waiting_job_age_seconds Nan',
      ]);
      expect(family(text, 'moderation_queue_stats_read_failures_total')).toEqual([
        'moderation_queue_stats_read_failures_total 1',
      ]);
    } finally {
      await deadQueue.close().catch(() => undefined);
      dead.disconnect();
    }
  });
});
