import type { Redis } from 'ioredis';
import { type CheckResult, failed, passed, skipped } from './check-result.js';

const NAME = 'redis maxmemory-policy';

/** The only eviction policy under which Redis never drops BullMQ's keys (jobs, locks, counters). */
export const REQUIRED_EVICTION_POLICY = 'noeviction';

/** Redis's `maxmemory-policy`, read from INFO (which managed services allow where CONFIG GET is off); null when not reported. */
export async function readEvictionPolicy(redis: Redis): Promise<string | null> {
  const info = await redis.info('memory');
  const line = info.split(/\r?\n/).find((l) => l.startsWith('maxmemory_policy:'));
  return line === undefined ? null : line.slice('maxmemory_policy:'.length).trim();
}

/** The check's row for a policy: anything but noeviction fails, with the risk and the fix. */
export function evictionPolicyResult(policy: string | null): CheckResult {
  if (policy === null) {
    return skipped(NAME, `not reported by INFO memory; make sure it is ${REQUIRED_EVICTION_POLICY}`);
  }
  if (policy === REQUIRED_EVICTION_POLICY) return passed(NAME, policy);
  return failed(
    NAME,
    `${policy}: Redis may evict queue keys under memory pressure and lose jobs; it must be ${REQUIRED_EVICTION_POLICY} ` +
      `(set "maxmemory-policy ${REQUIRED_EVICTION_POLICY}" in redis.conf or the service's parameter group, ` +
      `or run CONFIG SET maxmemory-policy ${REQUIRED_EVICTION_POLICY})`,
  );
}
