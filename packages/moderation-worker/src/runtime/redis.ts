import type { Logger } from 'pino';
import { createRedisConnection, type RedisConnection, type RedisTarget } from './redis-connection.js';

/** Purpose of a worker-side Redis connection. */
export type RedisRole = 'queue' | 'probe' | 'producer';

const lastErrors = new WeakMap<RedisConnection, Error>();

/**
 * Why `redis` is down (the first socket error or close since it was last ready: ECONNREFUSED,
 * NOAUTH, "connection closed by the server"), while it is down; else null.
 */
export function lastRedisError(redis: RedisConnection): Error | null {
  return redis.status === 'ready' ? null : (lastErrors.get(redis) ?? null);
}

/**
 * A worker-side connection that reconnects forever with capped backoff. `queue` connections wait
 * for Redis (BullMQ needs maxRetriesPerRequest null); `probe` and `producer` (the discovery sweep's
 * enqueues) connections fail at once while it is down. Outages are logged once, by readiness
 * (dependency-log.ts); a connection's own errors are debug lines.
 */
export function createWorkerRedis(target: RedisTarget, role: RedisRole, logger: Logger): RedisConnection {
  const redis = createRedisConnection(target, {
    maxRetriesPerRequest: role === 'queue' ? null : 1,
    enableOfflineQueue: role === 'queue',
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 10), 5_000),
  });
  let down = false;
  redis.on('error', (error) => {
    if (!lastErrors.has(redis)) lastErrors.set(redis, error);
    // ioredis repeats the error on every reconnect attempt; one line per connection and outage.
    if (!down) logger.debug({ role, err: error }, 'redis connection lost; reconnecting');
    down = true;
  });
  // A server that shuts down closes the socket without an error; the refused reconnects come later.
  redis.on('close', () => {
    if (!lastErrors.has(redis)) lastErrors.set(redis, new Error('connection closed by the server'));
  });
  redis.on('ready', () => {
    lastErrors.delete(redis);
    if (down) logger.debug({ role }, 'redis connection restored');
    down = false;
  });
  return redis;
}

/** Resolves once `redis` is ready, or after `ms` (a Redis that is down must not block startup). */
export function whenRedisReady(redis: RedisConnection, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    }
    redis.once('ready', done);
  });
}
