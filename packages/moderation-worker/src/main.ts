// Wiring only: builds the process from its config and tears it down in order.
import { createRiskClient } from '@geoduels/risk-client';
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { AnswerBudget, DEFAULT_ANSWER_BUDGET, withAnswerBudget } from './analysis/answer-budget.js';
import { DISCOVERY_OFF, type Discovery, startDiscovery } from './analysis/discovery.js';
import { countNormalization } from './analysis/engine-normalization.js';
import { timeEngineCalls } from './analysis/engine-timing.js';
import { watchEngine } from './analysis/engine-watch.js';
import { openRankedMatchQueue } from './analysis/job.js';
import { batchedMatchStore } from './analysis/match-io.js';
import { type RecoverySweep, recoveryScope, startRecoverySweep } from './analysis/parked-sweep.js';
import { postgresRunParker } from './analysis/parking.js';
import { createAnalysisWorker } from './analysis/worker.js';
import { connectionSecrets, describeEndpoint, describeRedisTarget } from './commands/secret-redaction.js';
import type { WorkerConfig } from './config.js';
import { REQUIRED_SCHEMA_VERSION } from './db/migrate.js';
import { createDatabase } from './db/pool.js';
import { type OutboxDelivery, startOutboxDelivery } from './notifications/delivery.js';
import { registerDeliveryMetrics } from './notifications/delivery-metrics.js';
import { readBacklogStats } from './notifications/outbox.js';
import { siteSettingsWebhookUrl } from './notifications/webhook-url-source.js';
import { type Retention, startRetention } from './retention/retention.js';
import { registerRetentionMetrics } from './retention/retention-metrics.js';
import { bullmqLogRoute, routeBullmqConsole } from './runtime/bullmq-console.js';
import { createDependencyLog } from './runtime/dependency-log.js';
import { startHealthServer } from './runtime/health-server.js';
import { createProcessRegistry, createWorkerMetrics } from './runtime/metrics.js';
import { readQueueStats, registerQueueMetrics } from './runtime/queue-metrics.js';
import { createReadiness, type Readiness } from './runtime/readiness.js';
import { createWorkerRedis, whenRedisReady } from './runtime/redis.js';
import { type RedisConnection, redisMode } from './runtime/redis-connection.js';
import { loadTracing, type Tracing } from './tracing/tracing.js';

/** A running worker process. */
export interface RunningWorker {
  /** Port of the health/metrics server. */
  port: number;
  readiness: Readiness;
  /** Drains (bounded by MODERATION_DRAIN_TIMEOUT) and closes everything this process opened. */
  stop(): Promise<void>;
}

/** Options for tests and embedding; production uses the defaults. */
export interface RunOptions {
  logger: Logger;
  now?: () => Date;
  probeIntervalMs?: number;
}

/** Starts the worker: health server at once, job consumption once the schema is current. */
export async function run(config: WorkerConfig, options: RunOptions): Promise<RunningWorker> {
  const { logger } = options;
  // BullMQ's console warnings (e.g. a Redis eviction policy that can lose jobs) become log lines.
  const closeBullmqRoute = routeBullmqConsole(bullmqLogRoute(logger));
  warnAboutTrimmedVariables(config, logger);
  const now = options.now ?? (() => new Date());
  // Only now, and only when asked for, is the OpenTelemetry SDK loaded at all.
  let tracing: Tracing | null = null;
  if (config.tracing !== null) {
    tracing = await loadTracing(config.tracing);
    logger.info(
      { serviceName: tracing.serviceName, endpoint: describeEndpoint(config.tracing.endpoint) },
      'tracing to an OTLP endpoint',
    );
  }
  const registry = createProcessRegistry();
  const metrics = createWorkerMetrics(registry);
  const db = createDatabase({
    url: config.postgresUrl,
    maxConns: config.postgresMaxConns,
    pgbouncer: config.postgresPgbouncer,
    // Readiness logs the outage once; a pooled connection's own death is detail.
    onIdleError: (error) => logger.debug({ err: error }, 'idle postgres connection lost'),
  });
  const queueRedis = createWorkerRedis(config, 'queue', logger);
  const probeRedis = createWorkerRedis(config, 'probe', logger);
  // Scrape-time reads on the fail-fast probe connection: a dead Redis costs a scrape its bound, no more.
  const metricsQueue = openRankedMatchQueue(probeRedis, {
    name: config.queueName,
    prefix: config.queuePrefix,
  });
  metricsQueue.on('error', (error) => logger.debug({ err: error }, 'metrics queue error'));
  registerQueueMetrics(registry, () => readQueueStats(metricsQueue, Date.now()));
  const deliveryMetrics = registerDeliveryMetrics(registry, () => readBacklogStats(db.pool, now()));
  const countPruned = registerRetentionMetrics(registry);
  const client = createRiskClient(config.riskEngine);
  const engine = watchEngine(client, logger, metrics);
  let discovery: Discovery | undefined;
  const readiness = createReadiness({
    redis: probeRedis,
    db,
    requiredVersion: REQUIRED_SCHEMA_VERSION,
    riskEngineState: () => client.state,
    discoveryStatus: () => discovery?.status() ?? { ...DISCOVERY_OFF, enabled: config.discovery.enabled },
    logger,
    dependencyLog: createDependencyLog({
      logger,
      secrets: connectionSecrets(config.postgresUrl, config.redisUrl),
      endpoints: { postgres: describeEndpoint(config.postgresUrl), redis: describeRedisTarget(config) },
    }),
    metrics,
    ...(options.probeIntervalMs !== undefined && { intervalMs: options.probeIntervalMs }),
  });
  // The first probe should see Redis connected rather than report a spurious outage.
  await whenRedisReady(probeRedis, 2_000);
  readiness.start();
  const http = await startHealthServer(config.addr, readiness, registry);
  logger.info(
    {
      port: http.port,
      engine: config.riskEngine.enabled ? 'enabled' : 'disabled',
      queue: config.queueName,
      redis: redisMode(config),
    },
    'moderation worker started',
  );

  let worker: Worker | undefined;
  let delivery: OutboxDelivery | undefined;
  let retention: Retention | undefined;
  let discoveryRedis: RedisConnection | undefined;
  let recovery: RecoverySweep | undefined;
  let stopping = false;
  const consuming = readiness.whenSchemaCurrent().then(async (current) => {
    if (!current || stopping) return;
    // Engine answers held until written stay within a memory budget (analysis/answer-budget.ts).
    const flow = withAnswerBudget(
      {
        store: batchedMatchStore(db, {
          maxBatch: config.batchSize,
          onBatch: (statement, size) => metrics.batchSize.observe({ statement }, size),
          maxNotificationsPerMatch: config.maxNotificationsPerMatch,
          conflictRetry: {
            onRetry: (sqlstate, attempt) => {
              metrics.writeConflictRetries.inc({ sqlstate });
              logger.debug({ sqlstate, attempt }, 'analysed-match write lost a lock race; writing it again');
            },
          },
        }),
        analyzer: countNormalization(
          timeEngineCalls(client, metrics.engineDuration),
          metrics.engineNormalized,
        ),
        now,
        maxDeferMs: config.maxDeferMs,
      },
      new AnswerBudget(DEFAULT_ANSWER_BUDGET),
    );
    worker = createAnalysisWorker({
      connection: queueRedis,
      queueName: config.queueName,
      prefix: config.queuePrefix,
      concurrency: config.concurrency,
      flow: tracing?.traceFlow(flow) ?? flow,
      logger,
      metrics,
      engine,
      breaker: client,
      parking: {
        afterMs: config.parkAfterMs,
        parker: postgresRunParker(db),
        engineDown: () => client.state === 'open',
      },
      ...(tracing !== null && { telemetry: tracing.telemetry }),
    });
    worker.on('error', (error) => logger.debug({ err: error }, 'queue worker error'));
    delivery = startOutboxDelivery({
      pool: db.pool,
      webhook: siteSettingsWebhookUrl({ pool: db.pool, envUrl: config.webhookUrl }),
      logger,
      registry,
      metrics: deliveryMetrics,
      concurrency: config.notifyConcurrency,
      maxAttempts: config.notifyMaxAttempts,
    });
    retention = startRetention({
      pool: db.pool,
      settings: config.retention,
      logger,
      now,
      onPruned: countPruned,
    });
    logger.info(
      {
        concurrency: config.concurrency,
        webhookFrom: config.webhookUrl !== null ? 'MODERATION_WEBHOOK_URL' : 'site_settings',
        discovery: config.discovery.enabled,
      },
      'consuming jobs',
    );
    // Its own fail-fast connection: a pass must not wait on a dead Redis while it holds its rows.
    discoveryRedis = createWorkerRedis(config, 'producer', logger);
    // The first pass should find Redis connected rather than report a spurious failure.
    await whenRedisReady(discoveryRedis, 2_000);
    if (stopping) return;
    const queue = { name: config.queueName, prefix: config.queuePrefix };
    // Parked matches come back on start, whenever the engine recovers, and every interval.
    recovery = startRecoverySweep({
      db,
      connection: discoveryRedis,
      queue,
      scope: () => recoveryScope(client.state, engine.answering()),
      batchSize: config.discovery.batchSize,
      intervalMs: config.discovery.intervalMs,
      maxDeferMs: config.maxDeferMs,
      logger,
      metrics,
      now,
      ...(tracing !== null && { telemetry: tracing.telemetry }),
    });
    const sweep = recovery;
    engine.onRecovered(() => sweep.wake());
    if (config.discovery.enabled) {
      discovery = startDiscovery({
        db,
        connection: discoveryRedis,
        queue,
        settings: config.discovery,
        logger,
        metrics,
        ...(tracing !== null && { telemetry: tracing.telemetry }),
      });
    }
  });

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    readiness.setDraining();
    logger.info({ drainTimeoutMs: config.drainTimeoutMs }, 'draining');
    readiness.stop();
    await consuming.catch(() => undefined);
    const drained = await withinDeadline(
      Promise.all([
        worker?.close(),
        delivery?.stop(),
        discovery?.stop(),
        recovery?.stop(),
        retention?.stop(),
      ]).then(() => true),
      config.drainTimeoutMs,
    );
    if (!drained) {
      logger.warn('drain timeout reached; active jobs will be picked up again after their lock expires');
      await worker?.close(true).catch(() => undefined);
    }
    await http.close();
    await Promise.allSettled([
      client.close(),
      metricsQueue.close(),
      queueRedis.quit(),
      probeRedis.quit(),
      discoveryRedis?.quit(),
      db.pool.end(),
    ]);
    closeBullmqRoute();
    // Last: the spans of the drain itself are exported too.
    await shutDownTracing(tracing, logger);
    logger.info('stopped');
  };
  return { port: http.port, readiness, stop };
}

async function shutDownTracing(tracing: Tracing | null, logger: Logger): Promise<void> {
  try {
    await tracing?.shutdown();
  } catch (error) {
    logger.warn({ err: error }, 'tracing did not shut down cleanly; the last spans may be lost');
  }
}

/** One warning naming the variables whose whitespace was trimmed; the values stay out of the log. */
function warnAboutTrimmedVariables(config: WorkerConfig, logger: Logger): void {
  if (config.trimmedVariables.length === 0) return;
  logger.warn(
    { variables: [...config.trimmedVariables] },
    'surrounding whitespace trimmed from environment variables; fix them at their source',
  );
}

async function withinDeadline(work: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.catch(() => false), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
