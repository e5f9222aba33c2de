// The game API's enqueue. The Queue is the caller's, from the caller's own bullmq: it is recognised
// by its shape, never by `instanceof` (a second copy of bullmq would fail that test).
import type { JobsOptions } from 'bullmq';
import {
  BULLMQ_DEFAULT_PREFIX,
  DEFAULT_JOB_OPTIONS,
  describeJobDataError,
  JOB_NAME,
  QUEUE_NAME,
  QUEUE_PREFIX,
  type RankedMatchJob,
  rankedMatchJobId,
  rankedMatchJobSchema,
} from './contract.js';
import type { QueueLocation } from './ranked-match-queue.js';

/** What the helper uses of a BullMQ `Queue` (any copy of bullmq 5 fits). */
export interface RankedMatchQueueLike {
  readonly name: string;
  readonly opts: { prefix?: string };
  /** Set by bullmq once `close()` was called. */
  readonly closing?: Promise<void> | undefined;
  add(name: string, data: RankedMatchJob, opts?: JobsOptions): Promise<unknown>;
}

/** Options of {@link enqueueRankedMatchPersisted}. */
export interface EnqueueOptions extends QueueLocation {
  /** How long to wait for Redis, in milliseconds (default 2000). */
  timeoutMs?: number;
}

/** Why an enqueue did not happen, one name per cause. */
export const ENQUEUE_FAILURES = [
  /** The match id is not a uuid; nothing was sent to Redis. */
  'invalid_match_id',
  /** The target is not a BullMQ Queue (e.g. a Redis connection); nothing was sent. */
  'not_a_queue',
  /** The Queue's name or prefix is not the analysis queue's; nothing was sent. */
  'wrong_queue',
  /** The Queue was closed; nothing was sent. */
  'queue_closed',
  /** Redis refused, failed or did not answer in time; the job may still land later (same id). */
  'redis_unavailable',
] as const;
export type EnqueueFailure = (typeof ENQUEUE_FAILURES)[number];

/** The outcome of an enqueue: the job id, or why not. */
export type EnqueueResult =
  | { ok: true; jobId: string }
  | { ok: false; reason: EnqueueFailure; detail: string };

const DEFAULT_TIMEOUT_MS = 2_000;

/**
 * Enqueues analysis of a persisted ranked match on a caller-owned Queue, always with the contract's
 * job name, id and options. Never throws: every refusal is a returned `reason`.
 */
export async function enqueueRankedMatchPersisted(
  queue: RankedMatchQueueLike,
  matchId: string,
  options: EnqueueOptions = {},
): Promise<EnqueueResult> {
  const parsed = rankedMatchJobSchema.safeParse({ matchId });
  if (!parsed.success) return failure('invalid_match_id', describeJobDataError(parsed.error));
  const missing = missingQueueMembers(queue);
  if (missing.length > 0)
    return failure('not_a_queue', `expected a BullMQ Queue; the target has no ${missing.join(', ')}`);
  const wrong = wrongLocation(queue, options);
  if (wrong !== null) return failure('wrong_queue', wrong);
  if (queue.closing !== undefined) return failure('queue_closed', `queue "${queue.name}" was closed`);

  const jobId = rankedMatchJobId(parsed.data.matchId);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([queue.add(JOB_NAME, parsed.data, contractJobOptions(jobId)), timeout]);
    return { ok: true, jobId };
  } catch (error) {
    return failure('redis_unavailable', error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The options of every job the helper adds. BullMQ spreads them over the Queue's defaultJobOptions,
 * so a Queue opened with other attempts, backoff or retention cannot drop the contract's; its other
 * defaults (e.g. `keepLogs`, `priority`) still apply. Fresh objects each time: bullmq may keep them.
 */
function contractJobOptions(jobId: string): JobsOptions {
  return {
    attempts: DEFAULT_JOB_OPTIONS.attempts,
    backoff: { ...DEFAULT_JOB_OPTIONS.backoff },
    removeOnComplete: { ...DEFAULT_JOB_OPTIONS.removeOnComplete },
    removeOnFail: { ...DEFAULT_JOB_OPTIONS.removeOnFail },
    jobId,
  };
}

// The members a Queue lacks, by name; empty when it looks like one.
function missingQueueMembers(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['name', 'opts', 'add()'];
  const candidate = value as Partial<Record<keyof RankedMatchQueueLike, unknown>>;
  return [
    typeof candidate.name === 'string' ? null : 'name',
    typeof candidate.opts === 'object' && candidate.opts !== null ? null : 'opts',
    typeof candidate.add === 'function' ? null : 'add()',
  ].filter((member) => member !== null);
}

// Null when the queue is where the caller said (or, by default, where the contract says).
function wrongLocation(queue: RankedMatchQueueLike, options: QueueLocation): string | null {
  const expected = { name: options.name ?? QUEUE_NAME, prefix: options.prefix ?? QUEUE_PREFIX };
  const actual = { name: queue.name, prefix: queue.opts.prefix ?? BULLMQ_DEFAULT_PREFIX };
  if (actual.name === expected.name && actual.prefix === expected.prefix) return null;
  return (
    `queue "${actual.name}" with prefix "${actual.prefix}" is not the analysis queue ` +
    `"${expected.name}" with prefix "${expected.prefix}"`
  );
}

function failure(reason: EnqueueFailure, detail: string): EnqueueResult {
  return { ok: false, reason, detail };
}
