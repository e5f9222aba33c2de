// The one Redis connection policy of the operator commands (enqueue, backfill, queue, check).
import type { Queue } from 'bullmq';
import { openRankedMatchQueue, type QueueLocation } from '../analysis/job.js';
import type { QueueConfig } from '../config.js';
import { DeadlineError, withDeadline } from '../lib/deadline.js';
import { routeBullmqConsole } from '../runtime/bullmq-console.js';
import {
  createRedisConnection,
  type RedisConnection,
  type RedisTarget,
} from '../runtime/redis-connection.js';
import { describeError } from './checks/check-result.js';
import { type CommandOutput, failure, warning } from './command-io.js';
import { describeRedisTarget } from './secret-redaction.js';

/** How long an operator command waits for Redis to connect, and for each command, by default. */
export const OPERATOR_REDIS_TIMEOUT_MS = 3_000;

/**
 * A Redis connection for one-shot operator commands: connects once, fails fast when Redis is
 * unreachable (no reconnect loop, no offline queue) so a command never hangs on a dead Redis. The
 * whole connect (TCP, AUTH, ready check, a PING) has one bound, `timeoutMs`: a host that accepts the
 * connection and never answers (a frozen Redis, a proxy with nothing behind it) fails as fast as a
 * refused one. On a cluster it
 * resolves once the slot map is loaded from a seed node.
 */
export async function connectOperatorRedis(target: RedisTarget, timeoutMs: number): Promise<RedisConnection> {
  const redis = createRedisConnection(target, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Without a listener an 'error' event would crash the command; the socket error it carries
  // (e.g. ECONNREFUSED) says more than connect()'s own "Connection is closed".
  let socketError: unknown;
  redis.on('error', (error) => {
    socketError ??= error;
  });
  try {
    // PING too: ioredis declares a connection ready even when its ready check timed out.
    await withDeadline(
      redis.connect().then(() => redis.ping()),
      timeoutMs,
    );
    return redis;
  } catch (error) {
    redis.disconnect();
    // A socket error with a code (ECONNREFUSED, ENOTFOUND) says why; a silent Redis is the deadline,
    // whatever command of the handshake (AUTH, the ready check) happened to time out first.
    const coded = typeof (socketError as { code?: unknown } | undefined)?.code === 'string';
    if (coded || !(error instanceof DeadlineError)) throw socketError ?? error;
    throw error;
  }
}

/** The queue the configuration names, in the form BullMQ is opened with. */
export function queueLocation(config: QueueConfig): Required<QueueLocation> {
  return { name: config.queueName, prefix: config.queuePrefix };
}

/** `prefix:name`, how the commands name the queue they act on. */
export function queueLabel(config: QueueConfig): string {
  return `${config.queuePrefix}:${config.queueName}`;
}

/**
 * Runs `work` on the analysis queue over an operator connection (both handed to it), then closes
 * both. When Redis cannot be reached the command fails at once with a line naming its address
 * (never its password). What BullMQ prints to the console meanwhile (e.g. its eviction-policy warning) becomes a
 * `moderation-worker <command>: warning: BullMQ: ...` line on stderr.
 */
export async function withOperatorQueue(
  io: CommandOutput,
  config: QueueConfig,
  work: (queue: Queue, redis: RedisConnection) => Promise<number>,
): Promise<number> {
  let redis: RedisConnection;
  try {
    redis = await connectOperatorRedis(config, OPERATOR_REDIS_TIMEOUT_MS);
  } catch (error) {
    return failure(io, `Redis at ${describeRedisTarget(config)} unreachable: ${describeError(error)}`);
  }
  const closeRoute = routeBullmqConsole(({ message }) => warning(io, `BullMQ: ${message}`));
  const queue = openRankedMatchQueue(redis, queueLocation(config));
  try {
    return await work(queue, redis);
  } finally {
    await queue.close();
    closeRoute();
    redis.disconnect();
  }
}
