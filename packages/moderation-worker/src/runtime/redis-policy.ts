// BullMQ keeps every job in Redis keys without a TTL: under any eviction policy but noeviction a
// full Redis silently deletes jobs. The worker cannot change the policy; it reports it.
import { isCluster, type RedisConnection } from './redis-connection.js';

/** The one policy under which Redis never drops queue keys. */
export const SAFE_MAXMEMORY_POLICY = 'noeviction';

/** The `maxmemory_policy` field of an `INFO memory` answer; null when it has none. */
export function parseMaxmemoryPolicy(info: string): string | null {
  const line = /^maxmemory_policy:(.*)$/m.exec(info);
  return line?.[1]?.trim() || null;
}

/**
 * Reads Redis's maxmemory-policy through `INFO memory` rather than `CONFIG GET`, which managed
 * Redis services often disable; null when the answer does not say. On a cluster every master is
 * asked (the queue's slot may move to any of them) and the first unsafe policy is the answer.
 */
export async function readMaxmemoryPolicy(redis: RedisConnection): Promise<string | null> {
  if (!isCluster(redis)) return parseMaxmemoryPolicy(await redis.info('memory'));
  const policies = await Promise.all(
    redis.nodes('master').map(async (node) => parseMaxmemoryPolicy(await node.info('memory'))),
  );
  return (
    policies.find((p) => p !== null && p !== SAFE_MAXMEMORY_POLICY) ??
    policies.find((p) => p !== null) ??
    null
  );
}
