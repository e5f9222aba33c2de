import { Redis } from 'ioredis';

/**
 * Runs `work` on a one-shot connection to the loopback Redis (or Sentinel) on `port`, then closes it:
 * the private cluster's and sentinels' harnesses poll their nodes this way, every poll bounded.
 */
export async function onRedisPort<T>(port: number, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
    // Every poll of the harness is bounded: a node that accepts but never answers fails the check.
    commandTimeout: 2_000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}
