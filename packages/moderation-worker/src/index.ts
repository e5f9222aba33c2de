// Public face of @geoduels/moderation-worker for the game API and operators' tooling. The worker
// process itself is the `moderation-worker` bin; its internals are deliberately not exported.

// The queue contract and the API's enqueue helper live in @geoduels/moderation-producer (the package
// the API should install: bullmq is its peer); re-exported here so earlier imports keep working.
export {
  BACKOFF_STRATEGY,
  createProducerConnection,
  DEFAULT_JOB_OPTIONS,
  describeJobDataError,
  ENQUEUE_FAILURES,
  type EnqueueFailure,
  type EnqueueOptions,
  type EnqueueResult,
  enqueueRankedMatchPersisted,
  JOB_NAME,
  openRankedMatchQueue,
  QUEUE_NAME,
  QUEUE_PREFIX,
  type QueueLocation,
  type RankedMatchJob,
  type RankedMatchQueueLike,
  rankedMatchJobId,
  rankedMatchJobSchema,
} from '@geoduels/moderation-producer';
export type { RunStatus } from './analysis/match-store.js';
export type { WorkerConfig } from './config.js';
export {
  forceSchemaVersion,
  type MigrationRun,
  type MigrationStatus,
  migrateDown,
  migrateUp,
  migrationStatus,
  REQUIRED_SCHEMA_VERSION,
  readSchemaVersion,
  type SchemaVersion,
} from './db/migrate.js';
export { MIGRATIONS_DIR } from './db/migration-files.js';
export { MigrationError, type MigrationErrorKind } from './errors.js';
export {
  matchSummaryDedupeKey,
  type QueuedSignalPayload,
  SIGNAL_QUEUED,
  signalDedupeKey,
} from './notifications/outbox-payload.js';
export {
  DEFAULT_REPORT_RATE_LIMIT,
  describeReportRejection,
  type InvalidReport,
  type PlayerReportInput,
  type PlayerReportResult,
  playerReportSignalType,
  REPORT_CATEGORIES,
  REPORT_REJECTION_MESSAGES,
  type RecordReportOptions,
  type ReportCategory,
  type ReportRateLimit,
  type ReportRejection,
  recordPlayerReport,
} from './reports/index.js';
export type {
  RedisClusterSettings,
  RedisConnection,
  RedisNode,
  RedisSentinelSettings,
  RedisTarget,
} from './runtime/redis-connection.js';
