// Cheap periodic probes, cached: /health/ready answers from memory and never waits on a dead peer.
import type { Logger } from 'pino';
import { DISCOVERY_OFF, type DiscoveryStatus } from '../analysis/discovery.js';
import { readSchemaVersion } from '../db/migrate.js';
import type { Database } from '../db/pool.js';
import { withDeadline } from '../lib/deadline.js';
import type { DependencyLog } from './dependency-log.js';
import type { WorkerMetrics } from './metrics.js';
import { DEFERRED_BACKLOG_SQL } from './readiness-sql.js';
import { lastRedisError } from './redis.js';
import { probeRedis, type RedisConnection } from './redis-connection.js';
import { readMaxmemoryPolicy, SAFE_MAXMEMORY_POLICY } from './redis-policy.js';

/** The state of one dependency as last probed. */
export type ComponentState = 'up' | 'down' | 'unknown';

/** The body of /health: every component, and whether the worker takes jobs. */
export interface HealthSnapshot {
  ready: boolean;
  redis: ComponentState;
  postgres: ComponentState;
  schema: { current: number | null; required: number; dirty: boolean };
  draining: boolean;
  /** Reported for operators; never fails readiness. */
  riskEngine: string;
  /** The discovery sweep as last seen; reported for operators, never fails readiness. */
  discovery: DiscoveryStatus;
}

/** What the probes need. */
export interface ReadinessDeps {
  /** A connection with the offline queue disabled, so PING fails at once while Redis is down. */
  redis: RedisConnection;
  db: Database;
  requiredVersion: number;
  riskEngineState: () => string;
  /** The discovery sweep's status; reported as switched off when absent. */
  discoveryStatus?: () => DiscoveryStatus;
  logger: Logger;
  /** Where each outage and recovery of PostgreSQL and Redis is logged, once per transition. */
  dependencyLog?: DependencyLog;
  metrics?: WorkerMetrics;
  intervalMs?: number;
  timeoutMs?: number;
}

/** Cached health of the process, refreshed in the background. */
export interface Readiness {
  snapshot(): HealthSnapshot;
  /** Probes now and caches the result. */
  probe(): Promise<HealthSnapshot>;
  start(): void;
  stop(): void;
  /** Readiness fails from now on (SIGTERM). */
  setDraining(): void;
  /** Resolves true once the schema is at least the required version, false if stopped first. */
  whenSchemaCurrent(): Promise<boolean>;
}

/** Creates the readiness tracker; call `start()` to probe periodically. */
export function createReadiness(deps: ReadinessDeps): Readiness {
  const intervalMs = deps.intervalMs ?? 2_000;
  const timeoutMs = deps.timeoutMs ?? 1_000;
  let redis: ComponentState = 'unknown';
  let postgres: ComponentState = 'unknown';
  let schema = { current: null as number | null, required: deps.requiredVersion, dirty: false };
  let draining = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let loggedVersion: number | null | undefined;
  let loggedPolicy: string | null = null;
  const waiters: Array<(current: boolean) => void> = [];

  const schemaCurrent = () => postgres === 'up' && !schema.dirty && (schema.current ?? 0) >= schema.required;

  const snapshot = (): HealthSnapshot => ({
    ready: redis === 'up' && schemaCurrent() && !draining,
    redis,
    postgres,
    schema: { ...schema },
    draining,
    riskEngine: deps.riskEngineState(),
    discovery: deps.discoveryStatus?.() ?? DISCOVERY_OFF,
  });

  const probe = async (): Promise<HealthSnapshot> => {
    const [pong, version] = await Promise.allSettled([
      withDeadline(probeRedis(deps.redis), timeoutMs),
      withDeadline(readSchemaVersion(deps.db.pool), timeoutMs),
    ]);
    redis = pong.status === 'fulfilled' ? 'up' : 'down';
    postgres = version.status === 'fulfilled' ? 'up' : 'down';
    if (pong.status === 'fulfilled') deps.dependencyLog?.up('redis');
    // PING on a disconnected fail-fast connection only says "not writeable"; the socket error says why.
    else deps.dependencyLog?.down('redis', lastRedisError(deps.redis) ?? pong.reason);
    if (version.status === 'fulfilled') deps.dependencyLog?.up('postgres');
    else deps.dependencyLog?.down('postgres', version.reason);
    if (version.status === 'fulfilled') {
      schema = { current: version.value.version, required: deps.requiredVersion, dirty: version.value.dirty };
      noteSchema();
    }
    exportReadiness(snapshot());
    if (schemaCurrent()) {
      for (const resolve of waiters.splice(0)) resolve(true);
      await refreshBacklog();
    }
    if (redis === 'up') await refreshRedisPolicy();
    return snapshot();
  };

  const exportReadiness = (current: HealthSnapshot) => {
    if (!deps.metrics) return;
    deps.metrics.ready.set(current.ready ? 1 : 0);
    deps.metrics.dependencyUp.set({ dependency: 'redis' }, redis === 'up' ? 1 : 0);
    deps.metrics.dependencyUp.set({ dependency: 'postgres' }, postgres === 'up' ? 1 : 0);
    deps.metrics.dependencyUp.set({ dependency: 'schema' }, schemaCurrent() ? 1 : 0);
  };

  const noteSchema = () => {
    if (schemaCurrent() || loggedVersion === schema.current) return;
    loggedVersion = schema.current;
    deps.logger.warn(
      { current: schema.current, required: schema.required, dirty: schema.dirty },
      `database schema is at version ${schema.current ?? 'none'}${schema.dirty ? ' (dirty)' : ''}; this worker needs version ${schema.required}: run "moderation-worker migrate up"`,
    );
  };

  const refreshBacklog = async () => {
    if (!deps.metrics) return;
    try {
      const result = await withDeadline(deps.db.pool.query<{ n: number }>(DEFERRED_BACKLOG_SQL), timeoutMs);
      deps.metrics.deferredBacklog.set(result.rows[0]?.n ?? 0);
    } catch {
      // A failed count only leaves the gauge stale; readiness already reflects the database.
    }
  };

  // One warning per policy seen, never per probe; a Redis that refuses INFO leaves the gauge unknown.
  const refreshRedisPolicy = async () => {
    if (!deps.metrics) return;
    try {
      const policy = await withDeadline(readMaxmemoryPolicy(deps.redis), timeoutMs);
      if (policy === null) return;
      deps.metrics.redisMaxmemoryPolicyOk.set(policy === SAFE_MAXMEMORY_POLICY ? 1 : 0);
      if (policy !== SAFE_MAXMEMORY_POLICY && policy !== loggedPolicy) {
        deps.logger.warn(
          { maxmemoryPolicy: policy },
          `Redis maxmemory-policy is ${policy}: under memory pressure Redis may evict queued jobs; set it to ${SAFE_MAXMEMORY_POLICY}`,
        );
      }
      loggedPolicy = policy;
    } catch {
      // Not knowing the policy leaves the gauge as it was; readiness already reflects Redis.
    }
  };

  const loop = () => {
    probe()
      .catch((error) => deps.logger.debug({ err: error }, 'readiness probe failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, intervalMs);
      });
  };

  return {
    snapshot,
    probe,
    start() {
      stopped = false;
      loop();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      for (const resolve of waiters.splice(0)) resolve(false);
    },
    setDraining() {
      draining = true;
      exportReadiness(snapshot());
    },
    whenSchemaCurrent() {
      if (schemaCurrent()) return Promise.resolve(true);
      if (stopped) return Promise.resolve(false);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
