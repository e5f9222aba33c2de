// Test, benchmark and demo helpers shared across the repository. Private: never published, never in
// an image.
export { API_SCHEMA_FILE, applyApiSchema } from './api-schema.js';
export {
  FAKE_ENGINE_BIN,
  type FakeEngineProcess,
  type FakeEngineProcessOptions,
  startFakeEngineProcess,
} from './fake-engine-process.js';
export { httpStatus } from './http-status.js';
export {
  type LineListener,
  LogCapture,
  LogLevel,
  type LogLine,
  messageIncludes,
  type OutputStream,
} from './log-capture.js';
export { FAKE_ENGINE_PACKAGE_DIR, WORKER_PACKAGE_DIR } from './paths.js';
export { type PollOptions, PollTimeoutError, pollUntil } from './poll.js';
export { freePort, startOnFreePort } from './ports.js';
export {
  type AdminRow,
  PGBOUNCER_ADMIN_DATABASE,
  PGBOUNCER_BIN,
  type PrivatePgBouncer,
  type PrivatePgBouncerOptions,
  startPrivatePgBouncer,
} from './private-pgbouncer.js';
export {
  PG_BIN,
  type PrivatePostgres,
  type PrivatePostgresOptions,
  startPrivatePostgres,
} from './private-postgres.js';
export { type PrivateRedis, type PrivateRedisOptions, ping, startPrivateRedis } from './private-redis.js';
export {
  type ClusterNodeProcess,
  type PrivateRedisCluster,
  type PrivateRedisClusterOptions,
  startPrivateRedisCluster,
} from './private-redis-cluster.js';
export {
  type PrivateRedisSentinel,
  type PrivateRedisSentinelOptions,
  startPrivateRedisSentinel,
} from './private-redis-sentinel.js';
export {
  type ExitState,
  type ManagedProcess,
  type SpawnOptions,
  spawnManaged,
  stopAllProcesses,
} from './processes.js';
export {
  type ProductionSignal,
  type StoredProductionSignal,
  type StoreProductionSignalOptions,
  storeProductionSignal,
} from './production-statements.js';
export {
  PRODUCTION_CLAIM_SQL,
  PRODUCTION_LEASE_SQL,
  PRODUCTION_QUEUE_NOTIFICATION_SQL,
  PRODUCTION_UPSERT_SIGNAL_SQL,
} from './production-statements-sql.js';
export { deletePrefix, REDIS_URL, uniquePrefix } from './redis-prefix.js';
export { queryRows, runSql } from './run-sql.js';
export { createTempDatabase, PG_ADMIN_URL, type TempDatabase, tempDatabaseName } from './temp-database.js';
export { openTestPool } from './test-pool.js';
export { inTransaction } from './transaction.js';
export {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookBehaviour,
  type WebhookReceiver,
  type WebhookReceiverOptions,
  type WebhookResponder,
} from './webhook-receiver.js';
export {
  type CliRun,
  MigrateCommandError,
  migrateWithCli,
  runWorkerCli,
  WORKER_CLI,
  type WorkerEnv,
  workerCliBuilt,
} from './worker-cli.js';
export {
  createWorkerDatabase,
  type MigrateUp,
  prepareWorkerSchema,
  type WorkerDatabaseOptions,
} from './worker-database.js';
export { startWorker, type WorkerProcess, type WorkerProcessOptions } from './worker-process.js';
