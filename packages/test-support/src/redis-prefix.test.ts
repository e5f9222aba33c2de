import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, uniquePrefix } from './redis-prefix.js';

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
afterAll(() => redis.disconnect());

describe('Redis prefixes', () => {
  it('gives every call a hash-tagged prefix of its own, named by label and namespace', () => {
    expect(uniquePrefix('load')).toMatch(/^\{gdtest-load-[0-9a-f]{8}\}$/);
    expect(uniquePrefix('throughput', 'gdbench')).toMatch(/^\{gdbench-throughput-[0-9a-f]{8}\}$/);
    expect(uniquePrefix('x')).not.toBe(uniquePrefix('x'));
  });

  it("deletes every key under a prefix, and nobody else's", async () => {
    const mine = uniquePrefix('ts-delete');
    const other = uniquePrefix('ts-keep');
    const keys = Array.from({ length: 1_500 }, (_, i) => `${mine}:q:${i}`);
    await redis.mset(...keys.flatMap((key) => [key, '1']), `${other}:q:0`, '1');
    try {
      await deletePrefix(REDIS_URL, mine);
      expect(await redis.exists(...keys)).toBe(0);
      expect(await redis.exists(`${other}:q:0`)).toBe(1);
    } finally {
      await redis.del(`${other}:q:0`);
    }
  });
});
