import { QUEUE_NAME, QUEUE_PREFIX } from '../analysis/job.js';

/** Which Redis and which queue the `queue` command acts on. */
export interface QueueTarget {
  redisUrl: string;
  name: string;
  prefix: string;
}

/**
 * Reads only REDIS_URL, MODERATION_QUEUE_NAME and MODERATION_QUEUE_PREFIX (same defaults as the
 * worker), so an operator can pause the queue without the database settings. Error values name the
 * variable.
 */
export function queueTargetFromEnv(env: Record<string, string | undefined>): QueueTarget | Error {
  const redisUrl = env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  let protocol: string;
  try {
    protocol = new URL(redisUrl).protocol;
  } catch {
    return new Error('REDIS_URL: is not a valid URL');
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    return new Error(`REDIS_URL: must use redis: or rediss: (got ${protocol})`);
  }
  const name = env.MODERATION_QUEUE_NAME?.trim() || QUEUE_NAME;
  if (name.includes(':')) return new Error('MODERATION_QUEUE_NAME: must not contain ":"');
  return { redisUrl, name, prefix: env.MODERATION_QUEUE_PREFIX?.trim() || QUEUE_PREFIX };
}
