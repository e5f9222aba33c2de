import { Redis } from 'ioredis';

/**
 * A Redis connection for one-shot operator commands: connects once, fails fast when Redis is
 * unreachable (no reconnect loop, no offline queue) so a command never hangs on a dead Redis.
 */
export async function connectOperatorRedis(url: string, timeoutMs: number): Promise<Redis> {
  const redis = new Redis(url, {
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
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw socketError ?? error;
  }
}
