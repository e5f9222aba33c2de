import { openRankedMatchQueue } from '../../analysis/job.js';
import type { QueueConfig } from '../../config.js';
import { type BullmqConsoleRoute, routeBullmqConsole } from '../../runtime/bullmq-console.js';
import { connectOperatorRedis, queueLabel, queueLocation } from '../operator-queue.js';
import { formatCounts, readQueueStatus } from '../queue-status.js';
import { describeEndpoint } from '../secret-redaction.js';
import { type CheckResult, describeError, failed, passed } from './check-result.js';
import { evictionPolicyResult, readEvictionPolicy } from './redis-eviction.js';

/**
 * Redis reachable (PING), its eviction policy (noeviction, or jobs can be lost) and the analysis
 * queue's counts. A paused queue fails the check: no match is analysed until someone runs
 * `queue resume`. What BullMQ prints to the console meanwhile goes to `bullmqConsole`.
 */
export async function checkQueue(
  config: QueueConfig,
  timeoutMs: number,
  bullmqConsole: BullmqConsoleRoute,
): Promise<CheckResult[]> {
  const where = describeEndpoint(config.redisUrl);
  let redis: Awaited<ReturnType<typeof connectOperatorRedis>>;
  try {
    redis = await connectOperatorRedis(config.redisUrl, timeoutMs);
    await redis.ping();
  } catch (error) {
    return [
      failed('redis', `${where}: ${describeError(error)}`),
      failed('redis maxmemory-policy', 'not checked: Redis unreachable'),
      failed('queue', 'not checked: Redis unreachable'),
    ];
  }
  const pong = passed('redis', `${where}: PONG`);
  const closeRoute = routeBullmqConsole(bullmqConsole);
  const queue = openRankedMatchQueue(redis, queueLocation(config));
  try {
    const eviction = await readEvictionPolicy(redis).then(evictionPolicyResult, (error: unknown) =>
      failed('redis maxmemory-policy', describeError(error)),
    );
    try {
      const status = await readQueueStatus(queue);
      const label = queueLabel(config);
      const counts = formatCounts(status);
      return [
        pong,
        eviction,
        status.paused
          ? failed('queue', `${label} PAUSED (run \`moderation-worker queue resume\`); ${counts}`)
          : passed('queue', `${label} running; ${counts}`),
      ];
    } catch (error) {
      return [pong, eviction, failed('queue', describeError(error))];
    }
  } finally {
    await queue.close();
    closeRoute();
    redis.disconnect();
  }
}
