import { openRankedMatchQueue } from '../../analysis/job.js';
import type { QueueConfig } from '../../config.js';
import { type BullmqConsoleRoute, routeBullmqConsole } from '../../runtime/bullmq-console.js';
import { isCluster, type RedisConnection, readClusterState } from '../../runtime/redis-connection.js';
import { connectOperatorRedis, queueLabel, queueLocation } from '../operator-queue.js';
import { formatCounts, readQueueStatus } from '../queue-status.js';
import { describeRedisTarget } from '../secret-redaction.js';
import { type CheckResult, describeError, failed, passed } from './check-result.js';
import { evictionPolicyResult, readEvictionPolicy } from './redis-eviction.js';

/**
 * Redis reachable (PING), the mode (single, or cluster with its CLUSTER INFO state), its eviction
 * policy (noeviction, or jobs can be lost; every master of a cluster) and the analysis queue's counts. A paused queue fails the check: no match is analysed until someone runs
 * `queue resume`. What BullMQ prints to the console meanwhile goes to `bullmqConsole`.
 */
export async function checkQueue(
  config: QueueConfig,
  timeoutMs: number,
  bullmqConsole: BullmqConsoleRoute,
): Promise<CheckResult[]> {
  const where = describeRedisTarget(config);
  let redis: RedisConnection;
  try {
    redis = await connectOperatorRedis(config, timeoutMs);
    await redis.ping();
  } catch (error) {
    return [
      failed('redis', `${where}: ${describeError(error)}`),
      failed('redis mode', 'not checked: Redis unreachable'),
      failed('redis maxmemory-policy', 'not checked: Redis unreachable'),
      failed('queue', 'not checked: Redis unreachable'),
    ];
  }
  const pong = passed('redis', `${where}: PONG`);
  const mode = await checkRedisMode(redis, config);
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
        mode,
        eviction,
        status.paused
          ? failed('queue', `${label} PAUSED (run \`moderation-worker queue resume\`); ${counts}`)
          : passed('queue', `${label} running; ${counts}`),
      ];
    } catch (error) {
      return [pong, mode, eviction, failed('queue', describeError(error))];
    }
  } finally {
    await queue.close();
    closeRoute();
    redis.disconnect();
  }
}

/**
 * `single`; `sentinel` with the master Sentinel named and its ROLE (a replica fails); or `cluster` with the
 * state, node and master counts CLUSTER INFO gives (a cluster not `ok` fails).
 */
async function checkRedisMode(redis: RedisConnection, config: QueueConfig): Promise<CheckResult> {
  const name = 'redis mode';
  if (!isCluster(redis) && config.redisSentinel) {
    try {
      const [role] = (await redis.call('ROLE')) as [string, ...unknown[]];
      const at = `${redis.stream?.remoteAddress ?? '?'}:${redis.stream?.remotePort ?? '?'}`;
      const detail = `sentinel (REDIS_SENTINELS): master ${config.redisSentinel.masterName} at ${at}, role ${role}`;
      return role === 'master' ? passed(name, detail) : failed(name, detail);
    } catch (error) {
      return failed(name, `sentinel: ROLE failed: ${describeError(error)}`);
    }
  }
  if (!isCluster(redis)) return passed(name, 'single (REDIS_URL)');
  try {
    const { state, knownNodes, size } = await readClusterState(redis);
    const masters = redis.nodes('master').length;
    const detail = `cluster (REDIS_CLUSTER_NODES): cluster_state:${state}, ${knownNodes} known nodes, ${masters} masters, ${size} serving slots`;
    return state === 'ok' ? passed(name, detail) : failed(name, detail);
  } catch (error) {
    return failed(name, `cluster: CLUSTER INFO failed: ${describeError(error)}`);
  }
}
