// The analysis queue's failed jobs as an operator sees them: listed, retried, cleaned.
import { Job, type Queue } from 'bullmq';
import { rankedMatchJobId } from '../analysis/job.js';
import type { RedisConnection } from '../runtime/redis-connection.js';

/** One failed job, as `queue failed` shows it. */
export interface FailedJob {
  id: string;
  /** The job's `matchId`, or null when its data has none (a job with invalid data). */
  matchId: string | null;
  failedReason: string;
  attemptsMade: number;
  /** When it failed (its last attempt finished); null if BullMQ did not record it. */
  failedAt: Date | null;
}

/** The newest failed jobs first, at most `limit` of them, and how many there are in all. */
export async function listFailedJobs(
  queue: Queue,
  limit: number,
): Promise<{ total: number; jobs: FailedJob[] }> {
  const [total, jobs] = await Promise.all([queue.getFailedCount(), queue.getFailed(0, limit - 1)]);
  return { total, jobs: jobs.filter((job) => job !== undefined).map(describeFailedJob) };
}

/** The fields of a BullMQ job that `queue failed` shows. */
interface FailedJobFields {
  id?: string | undefined;
  data: unknown;
  failedReason?: string | undefined;
  attemptsMade: number;
  finishedOn?: number | undefined;
}

function describeFailedJob(job: FailedJobFields): FailedJob {
  const matchId = (job.data as { matchId?: unknown } | undefined)?.matchId;
  return {
    id: String(job.id),
    matchId: typeof matchId === 'string' ? matchId : null,
    failedReason: job.failedReason ?? '',
    attemptsMade: job.attemptsMade,
    failedAt: typeof job.finishedOn === 'number' ? new Date(job.finishedOn) : null,
  };
}

/** What became of a request to retry one job. */
export type RetryOutcome =
  | { kind: 'retried'; job: FailedJob }
  | { kind: 'not_found'; jobId: string }
  | { kind: 'not_failed'; jobId: string; state: string };

const MATCH_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Moves one failed job back to waiting with its attempts reset, so it gets the full retry budget
 * again. `idOrMatch` is a job id, or a match id standing for that match's job.
 */
export async function retryFailedJob(queue: Queue, idOrMatch: string): Promise<RetryOutcome> {
  const jobId = MATCH_ID.test(idOrMatch) ? rankedMatchJobId(idOrMatch.toLowerCase()) : idOrMatch;
  const job = await Job.fromId(queue, jobId);
  if (job === undefined) return { kind: 'not_found', jobId };
  const failed = describeFailedJob(job);
  const state = await retryIfFailed(job);
  return state === 'retried' ? { kind: 'retried', job: failed } : { kind: 'not_failed', jobId, state };
}

/** How a bulk retry went: jobs retried, and jobs that left the failed set before their turn. */
export interface BulkRetry {
  retried: number;
  skipped: number;
}

// Retries in flight at once: enough to hide round trips, few enough to keep Redis calm.
const RETRY_CONCURRENCY = 32;

/**
 * Retries every job failed at the time of the call, attempts reset as for one job. Jobs that fail
 * again meanwhile are not retried twice; jobs that left the failed set meanwhile are skipped.
 */
export async function retryAllFailedJobs(queue: Queue): Promise<BulkRetry> {
  const ids = await queue.getRanges(['failed'], 0, -1, true);
  const result: BulkRetry = { retried: 0, skipped: 0 };
  for (let start = 0; start < ids.length; start += RETRY_CONCURRENCY) {
    const outcomes = await Promise.all(
      ids.slice(start, start + RETRY_CONCURRENCY).map(async (id) => {
        const job = await Job.fromId(queue, id);
        return job === undefined ? 'gone' : retryIfFailed(job);
      }),
    );
    for (const outcome of outcomes) {
      if (outcome === 'retried') result.retried++;
      else result.skipped++;
    }
  }
  return result;
}

/** Retries `job` if it is failed; otherwise (or if it stopped being failed meanwhile) returns its state. */
async function retryIfFailed(job: Job): Promise<'retried' | string> {
  const state = await job.getState();
  if (state !== 'failed') return state;
  try {
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return 'retried';
  } catch (error) {
    // BullMQ refuses a job that left the failed set since we looked; its state says so, not the message.
    const now = await job.getState();
    if (now !== 'failed') return now;
    throw error;
  }
}

/**
 * How many failed jobs failed more than `olderThanMs` before `now`. BullMQ's failed set is ordered
 * by failure time, the same order `cleanFailedJobs` removes by, so the two always agree.
 */
export async function countFailedJobsOlderThan(
  redis: RedisConnection,
  queue: Queue,
  olderThanMs: number,
  now: number,
): Promise<number> {
  return redis.zcount(queue.keys.failed!, '-inf', now - olderThanMs);
}

/** Removes the failed jobs that failed more than `olderThanMs` ago; returns how many went. */
export async function cleanFailedJobs(queue: Queue, olderThanMs: number): Promise<number> {
  // limit 0: no limit; BullMQ removes in batches of 10,000 until none is left.
  const removed = await queue.clean(olderThanMs, 0, 'failed');
  return removed.length;
}
