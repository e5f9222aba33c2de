// The queue contract shared by the API (producer) and the worker (consumer).
import { type JobsOptions, Queue, type Telemetry } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  createRedisConnection,
  type RedisConnection,
  type RedisTarget,
} from '../runtime/redis-connection.js';

/** Default queue name (MODERATION_QUEUE_NAME). */
export const QUEUE_NAME = 'moderation.risk-analysis';
/** Default BullMQ prefix (MODERATION_QUEUE_PREFIX), hash-tagged for Redis Cluster. */
export const QUEUE_PREFIX = '{moderation}';
/** The one job name on the queue. */
export const JOB_NAME = 'ranked-match.persisted';
/** Name of the worker's backoff strategy for retries after database errors. */
export const BACKOFF_STRATEGY = 'moderation-capped-exponential';

/** Job data: the API persisted the ranked facts of this match. */
export const rankedMatchJobSchema = z.object({ matchId: z.guid() });
export type RankedMatchJob = z.infer<typeof rankedMatchJobSchema>;

/** Job id of a match; a second enqueue of the same match is the same job (BullMQ ids may not hold `:`). */
export function rankedMatchJobId(matchId: string): string {
  return `ranked-match-${matchId}`;
}

/**
 * Job options: enough attempts, with capped backoff, to outlive a database outage of hours (engine
 * outages do not burn attempts); finished jobs are kept a while for inspection, then trimmed.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 25,
  backoff: { type: BACKOFF_STRATEGY },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 14 * 24 * 3600, count: 50_000 },
};

/** Where a queue lives. */
export interface QueueLocation {
  name?: string;
  prefix?: string;
}

/**
 * A Redis connection for producers: commands fail at once while Redis is unreachable instead of
 * queueing in memory, so a request handler never waits on a dead Redis. A URL is a single Redis;
 * a target with `redisCluster` a Redis Cluster (REDIS_CLUSTER_NODES).
 */
export function createProducerConnection(url: string): Redis;
export function createProducerConnection(target: RedisTarget): RedisConnection;
export function createProducerConnection(target: string | RedisTarget): RedisConnection {
  return createRedisConnection(
    typeof target === 'string' ? { redisUrl: target, redisCluster: null } : target,
    {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(times * 50, 2_000),
    },
  );
}

/**
 * Opens the analysis queue on a connection (shared: closing the queue leaves the connection open).
 * With `telemetry` (e.g. bullmq-otel's `BullMQOtel`) every enqueue is a producer span whose trace the
 * worker's processing of the job continues; without it the queue carries no tracing code at all.
 */
export function openRankedMatchQueue(
  connection: RedisConnection,
  location: QueueLocation = {},
  telemetry?: Telemetry,
): Queue {
  return new Queue(location.name ?? QUEUE_NAME, {
    connection,
    prefix: location.prefix ?? QUEUE_PREFIX,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
    ...(telemetry !== undefined && { telemetry }),
  });
}

/** Options of {@link enqueueRankedMatchPersisted}. */
export interface EnqueueOptions extends QueueLocation {
  /** How long to wait for Redis (default 2 s). */
  timeoutMs?: number;
  /**
   * BullMQ telemetry for the queue opened on a connection (see openRankedMatchQueue); a Queue passed
   * as the target keeps its own.
   */
  telemetry?: Telemetry;
}

/** Why an enqueue did not happen. */
export type EnqueueResult =
  | { ok: true; jobId: string }
  | { ok: false; reason: 'invalid_match_id'; detail: string }
  | { ok: false; reason: 'redis_unavailable'; detail: string };

// Per connection, per location, per telemetry (undefined: none).
const queues = new WeakMap<RedisConnection, Map<string, Map<Telemetry | undefined, Queue>>>();

/**
 * The API's producer: enqueues analysis of a persisted ranked match. Never throws for Redis being
 * down; returns `redis_unavailable` within `timeoutMs` (default 2 s), and the discovery sweep (or
 * the backfill command) later finds the match by its missing run row.
 */
export async function enqueueRankedMatchPersisted(
  target: Queue | RedisConnection,
  matchId: string,
  options: EnqueueOptions = {},
): Promise<EnqueueResult> {
  const parsed = rankedMatchJobSchema.safeParse({ matchId });
  if (!parsed.success)
    return { ok: false, reason: 'invalid_match_id', detail: describeJobDataError(parsed.error) };
  let queue: Queue;
  if (target instanceof Queue) {
    queue = target;
  } else {
    if (target.status !== 'ready')
      return { ok: false, reason: 'redis_unavailable', detail: `redis ${target.status}` };
    queue = cachedQueue(target, options);
  }
  const jobId = rankedMatchJobId(parsed.data.matchId);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('redis did not answer in time')), options.timeoutMs ?? 2_000);
  });
  try {
    await Promise.race([queue.add(JOB_NAME, parsed.data, { jobId }), timeout]);
    return { ok: true, jobId };
  } catch (error) {
    return { ok: false, reason: 'redis_unavailable', detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

function cachedQueue(connection: RedisConnection, options: EnqueueOptions): Queue {
  const key = `${options.prefix ?? QUEUE_PREFIX}:${options.name ?? QUEUE_NAME}`;
  const byLocation = queues.get(connection) ?? new Map<string, Map<Telemetry | undefined, Queue>>();
  queues.set(connection, byLocation);
  const byTelemetry = byLocation.get(key) ?? new Map<Telemetry | undefined, Queue>();
  byLocation.set(key, byTelemetry);
  const queue =
    byTelemetry.get(options.telemetry) ??
    openRankedMatchQueue(connection, { name: options.name, prefix: options.prefix }, options.telemetry);
  byTelemetry.set(options.telemetry, queue);
  return queue;
}

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
  await queue.add(JOB_NAME, { matchId }, { jobId });
  return 'queued';
}

/** A one-line description of invalid job data that names the offending field. */
export function describeJobDataError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'data'}: ${issue.message}`)
    .join('; ');
}
