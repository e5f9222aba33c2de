// The queue contract shared by the game API (producer) and the moderation worker (consumer). Only
// types come from bullmq here: the contract loads no queue library.
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/** Default queue name (the worker's MODERATION_QUEUE_NAME). */
export const QUEUE_NAME = 'moderation.risk-analysis';
/** Default BullMQ prefix (the worker's MODERATION_QUEUE_PREFIX), hash-tagged for Redis Cluster. */
export const QUEUE_PREFIX = '{moderation}';
/** The one job name on the queue. */
export const JOB_NAME = 'ranked-match.persisted';
/** Name of the worker's backoff strategy for retries after database errors. */
export const BACKOFF_STRATEGY = 'moderation-capped-exponential';
/** BullMQ's prefix when a Queue is opened without one. */
export const BULLMQ_DEFAULT_PREFIX = 'bull';

/** Job data: the API persisted the ranked facts of this match. */
export const rankedMatchJobSchema = z.object({ matchId: z.guid() });
export type RankedMatchJob = z.infer<typeof rankedMatchJobSchema>;

/** Job id of a match; a second enqueue of the same match is the same job (BullMQ ids may not hold `:`). */
export function rankedMatchJobId(matchId: string): string {
  return `ranked-match-${matchId}`;
}

/**
 * Job options: enough attempts, with capped backoff, to outlive a database outage of hours (engine
 * outages do not burn attempts); finished jobs are kept a while for inspection, then trimmed. The
 * producer applies them to every job it adds, over whatever defaults the Queue carries.
 */
export const DEFAULT_JOB_OPTIONS = Object.freeze({
  attempts: 25,
  backoff: Object.freeze({ type: BACKOFF_STRATEGY }),
  removeOnComplete: Object.freeze({ age: 24 * 3600, count: 10_000 }),
  removeOnFail: Object.freeze({ age: 14 * 24 * 3600, count: 50_000 }),
}) satisfies JobsOptions;

/** A one-line description of invalid job data that names the offending field. */
export function describeJobDataError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'data'}: ${issue.message}`)
    .join('; ');
}
