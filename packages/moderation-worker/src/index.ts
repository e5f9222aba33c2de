// Public face of @geoduels/moderation-worker for the game API and operators' tooling. The worker
// process itself is the `moderation-worker` bin; its internals are deliberately not exported.

export {
  BACKOFF_STRATEGY,
  createProducerConnection,
  DEFAULT_JOB_OPTIONS,
  describeJobDataError,
  type EnqueueOptions,
  type EnqueueResult,
  enqueueRankedMatchPersisted,
  JOB_NAME,
  openRankedMatchQueue,
  QUEUE_NAME,
  QUEUE_PREFIX,
  type QueueLocation,
  type RankedMatchJob,
  rankedMatchJobId,
  rankedMatchJobSchema,
} from './analysis/job.js';
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
export { type QueuedSignalPayload, SIGNAL_QUEUED, signalDedupeKey } from './notifications/outbox-payload.js';
export {
  type PlayerReportInput,
  type PlayerReportResult,
  playerReportSignalType,
  REPORT_CATEGORIES,
  type ReportCategory,
  recordPlayerReport,
} from './reports/index.js';
export type {
  RedisClusterSettings,
  RedisConnection,
  RedisNode,
  RedisSentinelSettings,
  RedisTarget,
} from './runtime/redis-connection.js';
