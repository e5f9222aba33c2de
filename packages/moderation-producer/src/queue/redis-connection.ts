// The one place a Redis connection is built: a single Redis (REDIS_URL), a Redis Cluster
// (REDIS_CLUSTER_NODES) or the master Sentinel names (REDIS_SENTINELS), with BullMQ's options for each.
// It lives with the producer, on the caller's ioredis, so the game API builds its connections as the
// worker does; the worker re-exports it (runtime/redis-connection.ts).
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** One `host:port` of REDIS_CLUSTER_NODES or REDIS_SENTINELS. */
export interface RedisNode {
  host: string;
  port: number;
}

/** Redis Cluster mode (REDIS_CLUSTER_NODES); credentials and TLS come from REDIS_URL. */
export interface RedisClusterSettings {
  /** Seed nodes: the client learns the rest of the cluster (and every failover) from them. */
  nodes: readonly RedisNode[];
}

/** Redis behind Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_MASTER); credentials and TLS come from REDIS_URL. */
export interface RedisSentinelSettings {
  /** Sentinels to ask where the master is. */
  nodes: readonly RedisNode[];
  /** The master's name in the Sentinels' configuration (`sentinel monitor <name> ...`). */
  masterName: string;
}

/** A connection BullMQ can be opened on: one Redis, or a Redis Cluster. */
export type RedisConnection = Redis | Cluster;

/** Where Redis is: REDIS_URL, plus REDIS_CLUSTER_NODES in cluster mode or REDIS_SENTINELS behind Sentinel. */
export interface RedisTarget {
  redisUrl: string;
  redisCluster: RedisClusterSettings | null;
  /** Absent or null: no Sentinel. */
  redisSentinel?: RedisSentinelSettings | null;
}

/** `single` (REDIS_URL), `cluster` (REDIS_CLUSTER_NODES) or `sentinel` (REDIS_SENTINELS). */
export type RedisMode = 'single' | 'cluster' | 'sentinel';

/** How a connection behaves while Redis is unreachable; each role picks its own. */
export interface ConnectionPolicy {
  /** null for BullMQ workers (they wait for Redis); a small number fails a command fast. */
  maxRetriesPerRequest: number | null;
  /** false: commands fail at once while disconnected instead of queueing in memory. */
  enableOfflineQueue: boolean;
  connectTimeout: number;
  /** Bound on each command (operator commands only). */
  commandTimeout?: number;
  /** Connect only on `connect()` (operator commands, so a refused connect is a value). */
  lazyConnect?: boolean;
  /** Delay before reconnect attempt `times`; null: give up. */
  retryStrategy: (times: number) => number | null;
}

/** The mode a target selects. */
export function redisMode(target: RedisTarget): RedisMode {
  if (target.redisCluster !== null) return 'cluster';
  return target.redisSentinel ? 'sentinel' : 'single';
}

/** Builds the connection `target` names, single or cluster, with `policy`. */
export function createRedisConnection(target: RedisTarget, policy: ConnectionPolicy): RedisConnection {
  const perConnection: RedisOptions = {
    maxRetriesPerRequest: policy.maxRetriesPerRequest,
    connectTimeout: policy.connectTimeout,
    ...(policy.commandTimeout !== undefined && { commandTimeout: policy.commandTimeout }),
  };
  if (target.redisCluster === null && target.redisSentinel) {
    return new Redis({
      ...perConnection,
      ...credentials(target.redisUrl),
      sentinels: target.redisSentinel.nodes.map(({ host, port }) => ({ host, port })),
      name: target.redisSentinel.masterName,
      role: 'master',
      enableOfflineQueue: policy.enableOfflineQueue,
      lazyConnect: policy.lazyConnect ?? false,
      retryStrategy: policy.retryStrategy,
      sentinelRetryStrategy: policy.retryStrategy,
      // Reconnect to the new master as soon as the sentinels announce a failover.
      failoverDetector: true,
    });
  }
  if (target.redisCluster === null) {
    return new Redis(target.redisUrl, {
      ...perConnection,
      enableOfflineQueue: policy.enableOfflineQueue,
      lazyConnect: policy.lazyConnect ?? false,
      retryStrategy: policy.retryStrategy,
    });
  }
  return new Cluster(
    target.redisCluster.nodes.map(({ host, port }) => ({ host, port })),
    clusterOptions(target.redisUrl, policy, perConnection),
  );
}

function clusterOptions(
  redisUrl: string,
  policy: ConnectionPolicy,
  perConnection: RedisOptions,
): ClusterOptions {
  return {
    lazyConnect: policy.lazyConnect ?? false,
    // Cluster-level: whether commands queue while the cluster client is not ready.
    enableOfflineQueue: policy.enableOfflineQueue,
    clusterRetryStrategy: policy.retryStrategy,
    // Node addresses come from CLUSTER SLOTS; resolving them again would break TLS certificate
    // checks on managed clusters (ioredis' and BullMQ's advice for ElastiCache/MemoryDB).
    dnsLookup: (address, callback) => callback(null, address),
    // BullMQ reads maxRetriesPerRequest from redisOptions on a cluster: null for workers.
    redisOptions: { ...perConnection, ...credentials(redisUrl) },
  };
}

/** The password, user and TLS of REDIS_URL, for the nodes of a cluster or the master behind Sentinel. */
function credentials(redisUrl: string): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const url = new URL(redisUrl);
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  return {
    // redis://:secret@ and redis://secret@ both mean a password without a user (as for REDIS_URL).
    ...(password !== ''
      ? { password, ...(username !== '' && { username }) }
      : username !== '' && { password: username }),
    ...(url.protocol === 'rediss:' && { tls: {} }),
  };
}
