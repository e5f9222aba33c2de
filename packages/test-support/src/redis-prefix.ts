// Every test, benchmark phase and demo run keeps its keys under a prefix of its own on the shared
// Redis, and removes them afterwards.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The shared CI Redis. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A key prefix unique to this call, `{<namespace>-<label>-<8 hex>}`: hash-tagged, so a queue under it
 * also works on Redis Cluster. The namespace tells whose keys they are (default `gdtest`).
 */
export function uniquePrefix(label = 't', namespace = 'gdtest'): string {
  return `{${namespace}-${label}-${randomBytes(4).toString('hex')}}`;
}

/** Deletes every key under `prefix` (SCAN + UNLINK in batches, so a large prefix never blocks Redis). */
export async function deletePrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
