// Test-only: a complete WorkerConfig for tests that start the worker in-process with `run`.
import { createRiskEngineConfig } from '@geoduels/risk-client';
import { REDIS_URL } from '@geoduels/test-support';
import type { WorkerConfig } from '../config.js';

/**
 * A WorkerConfig for a test's own database and queue prefix: the test Redis, port 0 on loopback, the
 * engine and discovery switched off, small pools and a short drain; `overrides` replace whole fields.
 */
export function testWorkerConfig(
  overrides: Pick<WorkerConfig, 'postgresUrl' | 'queuePrefix'> & Partial<WorkerConfig>,
): WorkerConfig {
  return {
    postgresMaxConns: 4,
    postgresPgbouncer: false,
    redisUrl: REDIS_URL,
    redisCluster: null,
    redisSentinel: null,
    queueName: 'moderation.risk-analysis',
    addr: { host: '127.0.0.1', port: 0 },
    concurrency: 2,
    batchSize: 32,
    riskEngine: createRiskEngineConfig({ enabled: false, url: null, token: null, timeoutMs: 750 }),
    maxDeferMs: 3_600_000,
    parkAfterMs: 300_000,
    webhookUrl: null,
    notifyConcurrency: 1,
    maxNotificationsPerMatch: 5,
    notifyMaxAttempts: 20,
    retention: { maxAgeMs: 30 * 86_400_000, intervalMs: 3_600_000 },
    drainTimeoutMs: 5_000,
    discovery: { enabled: false, intervalMs: 1_000, batchSize: 100, overlapMs: 60_000 },
    tracing: null,
    logLevel: 'info',
    trimmedVariables: [],
    ...overrides,
  };
}
