// The analysis queue as Prometheus sees it, read from BullMQ at scrape time: three cheap reads (the
// counts, the oldest waiting job, the pause flag), shared by the gauges of a scrape.
import type { Queue } from 'bullmq';
import { Counter, Gauge, type Registry } from 'prom-client';
import { scrapeRead } from './scrape-read.js';

/** The job states exported as `moderation_queue_jobs{state}`. */
// BullMQ 6 has no `paused` state: a paused queue's jobs stay `waiting`, and the pause is a flag.
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** The queue at one moment. */
export interface QueueStats {
  counts: Record<QueueState, number>;
  /** Whether the queue is paused for every worker (`moderation-worker queue pause`). */
  paused: boolean;
  /** Seconds the oldest waiting job (paused queue or not) has waited; 0 when none waits. */
  oldestWaitingAgeSeconds: number;
}

/** Options of {@link registerQueueMetrics}. */
export interface QueueMetricsOptions {
  /** Longest a scrape waits for Redis (default 1000 ms). */
  timeoutMs?: number;
}

/**
 * Reads the job counts and the oldest waiting job of `queue` at `now` (ms). A job's wait starts when
 * it was enqueued or last taken by a worker, whichever is later: a match sent back to wait (breaker
 * open, a retry) is not as old as its job; one promoted from a deferral counts its last backoff too.
 */
export async function readQueueStats(queue: Queue, now: number): Promise<QueueStats> {
  // asc with 0..0 is the tail of the wait list: the oldest job.
  const [counts, oldest, paused] = await Promise.all([
    queue.getJobCounts(...QUEUE_STATES),
    queue.getJobs(['waiting'], 0, 0, true),
    queue.isPaused(),
  ]);
  const waitingSince = Math.min(...oldest.map((job) => Math.max(job.timestamp, job.processedOn ?? 0)));
  return {
    counts: Object.fromEntries(
      QUEUE_STATES.map((state) => [state, counts[state] ?? 0]),
    ) as QueueStats['counts'],
    paused,
    oldestWaitingAgeSeconds: oldest.length === 0 ? 0 : Math.max(0, (now - waitingSince) / 1000),
  };
}

/**
 * Registers `moderation_queue_jobs{state}`, `moderation_queue_paused`,
 * `moderation_queue_oldest_waiting_job_age_seconds` and `moderation_queue_stats_read_failures_total`. A failed or slow read never fails the scrape: the
 * gauges report NaN for that scrape (no value is better than a stale one) and the failure is counted.
 */
export function registerQueueMetrics(
  registry: Registry,
  read: () => Promise<QueueStats>,
  options: QueueMetricsOptions = {},
): void {
  const failures: Counter = new Counter({
    name: 'moderation_queue_stats_read_failures_total',
    help: 'Scrape-time reads of the analysis queue that failed or timed out (its gauges are NaN for that scrape)',
    registers: [registry],
    // Waits for the scrape's read, so a failure is counted in the scrape that saw it.
    async collect() {
      await stats();
    },
  });
  const stats = scrapeRead(read, {
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    onFailure: () => failures.inc(),
  });
  new Gauge({
    name: 'moderation_queue_jobs',
    help: 'Jobs of the analysis queue by state (waiting, active, delayed, failed), read at scrape time',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const current = await stats();
      for (const state of QUEUE_STATES) this.set({ state }, current?.counts[state] ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'moderation_queue_paused',
    help: '1 while the analysis queue is paused for every worker (moderation-worker queue pause), else 0',
    registers: [registry],
    async collect() {
      const current = await stats();
      this.set(current ? Number(current.paused) : Number.NaN);
    },
  });
  new Gauge({
    name: 'moderation_queue_oldest_waiting_job_age_seconds',
    help: 'Seconds the oldest waiting job of the analysis queue has waited (paused queue or not), 0 when none waits',
    registers: [registry],
    async collect() {
      this.set((await stats())?.oldestWaitingAgeSeconds ?? Number.NaN);
    },
  });
}
