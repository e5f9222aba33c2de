// Public face of @geoduels/moderation-producer: the analysis queue contract and the game API's
// enqueue helper. bullmq and ioredis are the caller's (peer dependencies).

export {
  BACKOFF_STRATEGY,
  BULLMQ_DEFAULT_PREFIX,
  DEFAULT_JOB_OPTIONS,
  describeJobDataError,
  JOB_NAME,
  QUEUE_NAME,
  QUEUE_PREFIX,
  type RankedMatchJob,
  rankedMatchJobId,
  rankedMatchJobSchema,
} from './queue/contract.js';
export {
  ENQUEUE_FAILURES,
  type EnqueueFailure,
  type EnqueueOptions,
  type EnqueueResult,
  enqueueRankedMatchPersisted,
  type RankedMatchQueueLike,
} from './queue/enqueue.js';
export { createProducerConnection } from './queue/producer-connection.js';
export { openRankedMatchQueue, type QueueLocation } from './queue/ranked-match-queue.js';
export {
  type ConnectionPolicy,
  createRedisConnection,
  type RedisClusterSettings,
  type RedisConnection,
  type RedisMode,
  type RedisNode,
  type RedisSentinelSettings,
  type RedisTarget,
  redisMode,
} from './queue/redis-connection.js';
