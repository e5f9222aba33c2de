import { REDIS_URL } from '@geoduels/test-support';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { parseMaxmemoryPolicy, readMaxmemoryPolicy } from './redis-policy.js';

describe("Redis's maxmemory-policy", () => {
  it('is read from INFO memory', () => {
    const info =
      '# Memory\r\nused_memory:1024\r\nmaxmemory_policy:volatile-lru\r\nmem_fragmentation_ratio:1.2\r\n';
    expect(parseMaxmemoryPolicy(info)).toBe('volatile-lru');
    expect(parseMaxmemoryPolicy('# Memory\r\nused_memory:1024\r\n')).toBeNull();
  });

  it('is noeviction on the Redis the tests run against', async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      expect(await readMaxmemoryPolicy(redis)).toBe('noeviction');
    } finally {
      redis.disconnect();
    }
  });
});
