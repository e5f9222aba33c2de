import type { Redis } from 'ioredis';
import { createRedisConnection, type RedisConnection, type RedisTarget } from './redis-connection.js';

/**
 * A Redis connection for producers: commands fail at once while Redis is unreachable instead of
 * queueing in memory, so a request handler never waits on a dead Redis. A URL is one Redis; a target
 * with `redisCluster` a Redis Cluster (the worker's REDIS_CLUSTER_NODES), with `redisSentinel` the
 * master the sentinels name.
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
