import { parseGoDuration, type RiskEngineConfig, readRiskEngineEnv } from '@geoduels/risk-client';
import { QUEUE_NAME, QUEUE_PREFIX } from './analysis/job.js';
import { WorkerConfigError } from './errors.js';
import { webhookUrlProblem } from './notifications/webhook-url.js';
import type { ReportRateLimit } from './reports/report-rate-limit.js';
import type { RetentionSettings } from './retention/retention.js';
import type { RedisClusterSettings, RedisNode, RedisSentinelSettings } from './runtime/redis-connection.js';
import { type TracingSettings, tracingSettingsFromEnv } from './tracing/tracing-settings.js';

/** Where the health/metrics HTTP server listens; `host` undefined means every interface. */
export interface ListenAddress {
  host: string | undefined;
  port: number;
}

/** pino levels accepted in LOG_LEVEL. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The sweep that finds persisted ranked duels nobody enqueued (MODERATION_DISCOVERY_*). */
export interface DiscoverySettings {
  /** Off switch (MODERATION_DISCOVERY_ENABLED, default true). */
  enabled: boolean;
  /** Pause between passes that found less than a full batch (MODERATION_DISCOVERY_INTERVAL, default 5s). */
  intervalMs: number;
  /** Most matches enqueued per pass (MODERATION_DISCOVERY_BATCH_SIZE, default 500). */
  batchSize: number;
  /** How far behind the cursor each round looks again, for late commits (MODERATION_DISCOVERY_OVERLAP, default 5m). */
  overlapMs: number;
}

/** Everything the worker process reads from its environment, validated. */
export interface WorkerConfig {
  postgresUrl: string;
  /** Upper bound of the PostgreSQL pool (POSTGRES_MAX_CONNS, default 10). */
  postgresMaxConns: number;
  /** Transaction pooling in front of PostgreSQL: never use named prepared statements (default false). */
  postgresPgbouncer: boolean;
  /**
   * REDIS_URL: the Redis itself, or with REDIS_CLUSTER_NODES only the credentials and the scheme
   * (rediss: turns TLS on) used for every cluster node.
   */
  redisUrl: string;
  /** REDIS_CLUSTER_NODES: seed nodes of a Redis Cluster; null: the single Redis at REDIS_URL. */
  redisCluster: RedisClusterSettings | null;
  /** REDIS_SENTINELS + REDIS_SENTINEL_MASTER: the master Sentinel names; null: no Sentinel. */
  redisSentinel: RedisSentinelSettings | null;
  queueName: string;
  /** BullMQ key prefix, hash-tagged so every key of the queue lands in one Redis Cluster slot. */
  queuePrefix: string;
  addr: ListenAddress;
  concurrency: number;
  /** Matches per facts read and per write statement at most (MODERATION_WORKER_BATCH_SIZE, default 32). */
  batchSize: number;
  riskEngine: RiskEngineConfig;
  /** How long a match may stay deferred before it is abandoned (RISK_ANALYSIS_MAX_DEFER, default 24h). */
  maxDeferMs: number;
  /**
   * How long a match may wait deferred in Redis before it is parked: its job leaves Redis and its run
   * row waits in PostgreSQL for the recovery sweep (RISK_ANALYSIS_PARK_AFTER, default 5m).
   */
  parkAfterMs: number;
  /** MODERATION_WEBHOOK_URL (a secret); null: site_settings `moderation_settings.discordWebhookUrl` decides. */
  webhookUrl: string | null;
  notifyConcurrency: number;
  /**
   * Review notifications one analysed match writes at most; the rest become one summary row
   * (MODERATION_MAX_NOTIFICATIONS_PER_MATCH, default 5, 1 to 100).
   */
  maxNotificationsPerMatch: number;
  /** Delivery attempts before a notification is dead-lettered (MODERATION_NOTIFY_MAX_ATTEMPTS, default 20). */
  notifyMaxAttempts: number;
  /** The retention job (MODERATION_RETENTION_DAYS, MODERATION_RETENTION_INTERVAL). */
  retention: RetentionSettings;
  /** Bound on the SIGTERM drain (MODERATION_DRAIN_TIMEOUT, default 25s, below Kubernetes' 30 s grace). */
  drainTimeoutMs: number;
  discovery: DiscoverySettings;
  /** OpenTelemetry tracing, on when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT); null: off. */
  tracing: TracingSettings | null;
  logLevel: LogLevel;
  /**
   * Names (never values) of the variables whose surrounding whitespace was trimmed, as production trims
   * the engine's; `run` warns about them once.
   */
  trimmedVariables: readonly string[];
}

type Env = Record<string, string | undefined>;

/** Where the queue lives: the part of the config the operator commands need. */
export type QueueConfig = Pick<
  WorkerConfig,
  'redisUrl' | 'redisCluster' | 'redisSentinel' | 'queueName' | 'queuePrefix'
>;

/** Reads and validates the worker's environment; throws WorkerConfigError (or the client's ConfigError). */
export function workerConfigFromEnv(env: Env): WorkerConfig {
  const engine = readRiskEngineEnv(env);
  const maxDeferMs = duration(env, 'RISK_ANALYSIS_MAX_DEFER', '24h', 1, Number.POSITIVE_INFINITY);
  return {
    postgresUrl: postgresUrlFromEnv(env),
    postgresMaxConns: integer(env, 'POSTGRES_MAX_CONNS', 10, 1, 1000),
    postgresPgbouncer: postgresPgbouncerFromEnv(env),
    ...queueConfigFromEnv(env),
    addr: listenAddress(env, 'MODERATION_WORKER_ADDR', ':8093'),
    concurrency: integer(env, 'MODERATION_WORKER_CONCURRENCY', 128, 1, 1000),
    batchSize: integer(env, 'MODERATION_WORKER_BATCH_SIZE', 32, 1, 1000),
    riskEngine: engine.config,
    maxDeferMs,
    parkAfterMs: parkAfter(env, maxDeferMs),
    webhookUrl: webhookUrl(env),
    notifyConcurrency: integer(env, 'MODERATION_NOTIFY_CONCURRENCY', 4, 1, 100),
    maxNotificationsPerMatch: integer(env, 'MODERATION_MAX_NOTIFICATIONS_PER_MATCH', 5, 1, 100),
    notifyMaxAttempts: integer(env, 'MODERATION_NOTIFY_MAX_ATTEMPTS', 20, 1, 1_000),
    retention: retentionSettingsFromEnv(env),
    drainTimeoutMs: duration(env, 'MODERATION_DRAIN_TIMEOUT', '25s', 1, 29_999),
    discovery: discoverySettingsFromEnv(env),
    tracing: tracingSettingsFromEnv(env),
    logLevel: logLevel(env),
    trimmedVariables: engine.trimmed,
  };
}

/** POSTGRES_URL alone (migrate, backfill); throws WorkerConfigError. */
export function postgresUrlFromEnv(env: Env): string {
  return url(env, 'POSTGRES_URL', undefined, ['postgres:', 'postgresql:']);
}

/** POSTGRES_PGBOUNCER alone (migrate refuses to change the schema through PgBouncer); throws WorkerConfigError. */
export function postgresPgbouncerFromEnv(env: Env): boolean {
  return boolean(env, 'POSTGRES_PGBOUNCER', false);
}

/** REDIS_URL, REDIS_CLUSTER_NODES, MODERATION_QUEUE_NAME and MODERATION_QUEUE_PREFIX alone (enqueue, backfill). */
export function queueConfigFromEnv(env: Env): QueueConfig {
  const redisUrl = url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
  const redisCluster = redisClusterFromEnv(env);
  const redisSentinel = redisSentinelFromEnv(env);
  if (redisCluster !== null && redisSentinel !== null) {
    throw new WorkerConfigError(
      'REDIS_SENTINELS',
      'cannot be combined with REDIS_CLUSTER_NODES: set the one your Redis deployment is (Sentinel or Cluster)',
    );
  }
  if (redisCluster !== null) {
    // A cluster has database 0 only; a database in REDIS_URL would be silently ignored.
    const db = new URL(redisUrl).pathname.replace(/^\//, '');
    if (db !== '' && db !== '0') {
      throw new WorkerConfigError(
        'REDIS_URL',
        `selects database ${db}, but Redis Cluster has only database 0 (with REDIS_CLUSTER_NODES set, REDIS_URL gives only the credentials and rediss: for TLS)`,
      );
    }
  }
  return {
    redisUrl,
    redisCluster,
    redisSentinel,
    queueName: queueName(env),
    queuePrefix: optional(env, 'MODERATION_QUEUE_PREFIX') ?? QUEUE_PREFIX,
  };
}

/** The MODERATION_DISCOVERY_* variables alone; throws WorkerConfigError. */
export function discoverySettingsFromEnv(env: Env): DiscoverySettings {
  return {
    enabled: boolean(env, 'MODERATION_DISCOVERY_ENABLED', true),
    intervalMs: duration(env, 'MODERATION_DISCOVERY_INTERVAL', '5s', 10, 3_600_000),
    batchSize: integer(env, 'MODERATION_DISCOVERY_BATCH_SIZE', 500, 1, 10_000),
    // At least a second: a late commit is the reason the overlap exists, and no commit is instant.
    overlapMs: duration(env, 'MODERATION_DISCOVERY_OVERLAP', '5m', 1_000, 86_400_000),
  };
}

// At least a second (a park is a PostgreSQL write and a sweep later), at most a day; never past
// RISK_ANALYSIS_MAX_DEFER, or a match would be abandoned before it could be parked (the default
// follows a shorter maximum deferral down).
function parkAfter(env: Env, maxDeferMs: number): number {
  if (optional(env, 'RISK_ANALYSIS_PARK_AFTER') === undefined) return Math.min(5 * 60_000, maxDeferMs);
  const ms = duration(env, 'RISK_ANALYSIS_PARK_AFTER', '5m', 1_000, 86_400_000);
  if (ms > maxDeferMs) {
    throw new WorkerConfigError(
      'RISK_ANALYSIS_PARK_AFTER',
      `must not be longer than RISK_ANALYSIS_MAX_DEFER (${maxDeferMs} ms; got ${ms} ms)`,
    );
  }
  return ms;
}

/** MODERATION_RETENTION_DAYS (default 30) and MODERATION_RETENTION_INTERVAL (default 1h). */
export function retentionSettingsFromEnv(env: Env): RetentionSettings {
  return {
    // Whole days (a Go duration stops at about 24 days here); at least one, at most ten years.
    maxAgeMs: integer(env, 'MODERATION_RETENTION_DAYS', 30, 1, 3_650) * 86_400_000,
    intervalMs: duration(env, 'MODERATION_RETENTION_INTERVAL', '1h', 60_000, 86_400_000),
  };
}

/** MODERATION_REPORT_RATE_LIMIT (reports, default 10) per MODERATION_REPORT_RATE_WINDOW (default 1h). */
export function reportRateLimitFromEnv(env: Env): ReportRateLimit {
  return {
    maxReports: integer(env, 'MODERATION_REPORT_RATE_LIMIT', 10, 1, 1_000),
    // A minute to a week: shorter lets a flood through in bursts, longer punishes honest players for weeks.
    windowMs: duration(env, 'MODERATION_REPORT_RATE_WINDOW', '1h', 60_000, 604_800_000),
  };
}

/** REDIS_CLUSTER_NODES alone: null when unset; throws WorkerConfigError naming the bad entry. */
export function redisClusterFromEnv(env: Env): RedisClusterSettings | null {
  const value = optional(env, 'REDIS_CLUSTER_NODES');
  if (value === undefined) return null;
  const nodes = value
    .split(',')
    .map((entry, index) => redisNode('REDIS_CLUSTER_NODES', entry.trim(), index + 1));
  return { nodes };
}

/** REDIS_SENTINELS and REDIS_SENTINEL_MASTER: null when neither is set; one without the other is an error. */
export function redisSentinelFromEnv(env: Env): RedisSentinelSettings | null {
  const value = optional(env, 'REDIS_SENTINELS');
  const masterName = optional(env, 'REDIS_SENTINEL_MASTER');
  if (value === undefined) {
    if (masterName !== undefined) {
      throw new WorkerConfigError(
        'REDIS_SENTINEL_MASTER',
        'is set but REDIS_SENTINELS (the sentinels, host:port,...) is not',
      );
    }
    return null;
  }
  const nodes = value.split(',').map((entry, index) => redisNode('REDIS_SENTINELS', entry.trim(), index + 1));
  if (masterName === undefined) {
    throw new WorkerConfigError(
      'REDIS_SENTINEL_MASTER',
      'is required with REDIS_SENTINELS: the master name the sentinels monitor (e.g. mymaster)',
    );
  }
  return { nodes, masterName };
}

function redisNode(name: string, entry: string, position: number): RedisNode {
  if (entry === '') throw new WorkerConfigError(name, `entry ${position} is empty (a stray comma?)`);
  if (entry.includes('://')) {
    throw new WorkerConfigError(
      name,
      `entry ${position} ("${entry}") must be host:port, not a URL: the password and TLS (rediss:) come from REDIS_URL`,
    );
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]@/\s]+)):(\d{1,5})$/.exec(entry);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65_535) {
    throw new WorkerConfigError(
      name,
      `entry ${position} ("${entry}") must look like host:port with a port between 1 and 65535`,
    );
  }
  return { host: (match[1] ?? match[2])!, port };
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function url(env: Env, name: string, fallback: string | undefined, protocols: string[]): string {
  const value = optional(env, name) ?? fallback;
  if (value === undefined) throw new WorkerConfigError(name, 'is required');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new WorkerConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new WorkerConfigError(name, `must use ${protocols.join(' or ')} (got ${parsed.protocol})`);
  }
  return value;
}

function webhookUrl(env: Env): string | null {
  const value = optional(env, 'MODERATION_WEBHOOK_URL');
  if (value === undefined) return null;
  const problem = webhookUrlProblem(value);
  if (problem !== null) throw new WorkerConfigError('MODERATION_WEBHOOK_URL', problem);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new WorkerConfigError(name, `must be a whole number (got "${value}")`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) throw new WorkerConfigError(name, `must be between ${min} and ${max}`);
  return parsed;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = optional(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new WorkerConfigError(name, `must be true or false (got "${value}")`);
}

function duration(env: Env, name: string, fallback: string, minMs: number, maxMs: number): number {
  const value = optional(env, name) ?? fallback;
  let ms: number;
  try {
    ms = parseGoDuration(value);
  } catch (error) {
    throw new WorkerConfigError(name, (error as Error).message);
  }
  if (ms < minMs || ms > maxMs) {
    throw new WorkerConfigError(name, `must be between ${minMs} ms and ${maxMs} ms (got "${value}")`);
  }
  return ms;
}

function queueName(env: Env): string {
  const value = optional(env, 'MODERATION_QUEUE_NAME') ?? QUEUE_NAME;
  // BullMQ builds keys as prefix:name:..., so a colon in the name would split it.
  if (value.includes(':')) throw new WorkerConfigError('MODERATION_QUEUE_NAME', 'must not contain ":"');
  return value;
}

function listenAddress(env: Env, name: string, fallback: string): ListenAddress {
  const value = optional(env, name) ?? fallback;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65_535)
    throw new WorkerConfigError(name, `must look like :8093 or host:port (got "${value}")`);
  const host = match[1] ?? match[2];
  return { host: host === '' ? undefined : host, port };
}

function logLevel(env: Env): LogLevel {
  const value = (optional(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new WorkerConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${value}")`);
  }
  return value as LogLevel;
}
