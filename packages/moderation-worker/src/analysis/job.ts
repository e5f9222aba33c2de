// The queue contract lives in @geoduels/moderation-producer (the package the game API installs);
// the worker takes it from there and adds the operator's requeue.
import { DEFAULT_JOB_OPTIONS, JOB_NAME, rankedMatchJobId } from '@geoduels/moderation-producer';
import type { Queue } from 'bullmq';

export {
  BACKOFF_STRATEGY,
  createProducerConnection,
  DEFAULT_JOB_OPTIONS,
  describeJobDataError,
  ENQUEUE_FAILURES,
  type EnqueueFailure,
  type EnqueueOptions,
  type EnqueueResult,
  enqueueRankedMatchPersisted,
  JOB_NAME,
  openRankedMatchQueue,
  QUEUE_NAME,
  QUEUE_PREFIX,
  type QueueLocation,
  type RankedMatchJob,
  type RankedMatchQueueLike,
  rankedMatchJobId,
  rankedMatchJobSchema,
} from '@geoduels/moderation-producer';

/**
 * Enqueues a match again for the operator (enqueue, backfill): a finished job with the same id is
 * removed first, since BullMQ would otherwise ignore the add; a pending one is left as it is.
 */
export async function requeueRankedMatch(
  queue: Queue,
  matchId: string,
): Promise<'queued' | 'already_pending'> {
  const jobId = rankedMatchJobId(matchId);
  const existing = await queue.getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return 'already_pending';
    await existing.remove();
  }
  await queue.add(JOB_NAME, { matchId }, { ...structuredClone(DEFAULT_JOB_OPTIONS), jobId });
  return 'queued';
}
