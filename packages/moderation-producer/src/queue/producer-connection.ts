import { Redis } from 'ioredis';

/**
 * A Redis connection for producers: commands fail at once while Redis is unreachable instead of
 * queueing in memory, so a request handler never waits on a dead Redis.
 */
export function createProducerConnection(url: string): Redis {
  return new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
}
