import { openRankedMatchQueue } from '../../analysis/job.js';
import type { QueueConfig } from '../../config.js';
import { connectOperatorRedis, queueLabel, queueLocation } from '../operator-queue.js';
import { formatCounts, readQueueStatus } from '../queue-status.js';
import { describeEndpoint } from '../secret-redaction.js';
import { type CheckResult, describeError, failed, passed } from './check-result.js';

/**
 * Redis reachable (PING) and the analysis queue's counts. A paused queue fails the check: no match
 * is analysed until someone runs `queue resume`.
 */
export async function checkQueue(config: QueueConfig, timeoutMs: number): Promise<CheckResult[]> {
  const where = describeEndpoint(config.redisUrl);
  let redis: Awaited<ReturnType<typeof connectOperatorRedis>>;
  try {
    redis = await connectOperatorRedis(config.redisUrl, timeoutMs);
    await redis.ping();
  } catch (error) {
    return [
      failed('redis', `${where}: ${describeError(error)}`),
      failed('queue', 'not checked: Redis unreachable'),
    ];
  }
  const queue = openRankedMatchQueue(redis, queueLocation(config));
  try {
    const status = await readQueueStatus(queue);
    const label = queueLabel(config);
    const counts = formatCounts(status);
    return [
      passed('redis', `${where}: PONG`),
      status.paused
        ? failed('queue', `${label} PAUSED (run \`moderation-worker queue resume\`); ${counts}`)
        : passed('queue', `${label} running; ${counts}`),
    ];
  } catch (error) {
    return [passed('redis', `${where}: PONG`), failed('queue', describeError(error))];
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
