import {
  type FakeRiskEngine,
  type FakeRiskEngineOptions,
  startFakeRiskEngine,
} from '@geoduels/fake-risk-engine';
import {
  startWebhookReceiver,
  startWorker,
  type WebhookReceiver,
  type WorkerEnv,
  type WorkerProcess,
} from '@geoduels/test-support';
import { scrapeMetrics } from './metrics.js';
import { ReadinessMonitor } from './readiness-monitor.js';
import { createScenario, type Scenario, type ScenarioOptions } from './scenario.js';
import { findSecretLeaks, type SecretLeak, testSecrets } from './secrets.js';

/**
 * One isolated world for a fault scenario: its own database and queue prefix, an in-process fake
 * engine, a webhook receiver, and one worker process wired to all of them, with unique secrets.
 */
export interface World {
  readonly scenario: Scenario;
  readonly engine: FakeRiskEngine;
  readonly webhook: WebhookReceiver;
  readonly worker: WorkerProcess;
  readonly secrets: { engineToken: string; webhookSecret: string };
  /** Polls the worker's /health/ready from the moment it was ready until `close()`. */
  readonly readiness: ReadinessMonitor;
  /** Environment the worker was started with (to start more replicas of it). */
  readonly env: WorkerEnv;
  /** Starts one more worker process with the same environment and waits until it is ready. */
  startReplica(name: string, extra?: WorkerEnv): Promise<WorkerProcess>;
  /** Secret leaks in everything the world's workers printed, their metrics and the queue's jobs. */
  secretLeaks(): Promise<SecretLeak[]>;
  /** Stops the worker(s), the engine and the receiver, and drops the database. */
  close(): Promise<void>;
}

/** Options of {@link openWorld}. */
export interface WorldOptions
  extends Pick<ScenarioOptions, 'label' | 'postgres' | 'redisUrl' | 'redisClusterNodes' | 'redisSentinel'> {
  /** RISK_ENGINE_TIMEOUT (default 2s: generous on a noisy 2-core machine). */
  engineTimeout?: string;
  /** Leave RISK_ENGINE_URL unset (engine disabled). */
  engineDisabled?: boolean;
  /** Options for the in-process fake engine (the token is set by the world). */
  engineOptions?: Omit<FakeRiskEngineOptions, 'token'>;
  /** Extra worker environment. */
  workerEnv?: WorkerEnv;
}

/** Builds a world and waits until its worker is ready. */
export async function openWorld(options: WorldOptions): Promise<World> {
  const secrets = testSecrets();
  const [scenario, engine, webhook] = await Promise.all([
    createScenario(options),
    startFakeRiskEngine({ ...options.engineOptions, token: secrets.engineToken }),
    startWebhookReceiver(),
  ]);
  const env = scenario.workerEnv({
    ...(options.engineDisabled !== true && {
      RISK_ENGINE_URL: engine.url,
      RISK_ENGINE_TOKEN: secrets.engineToken,
    }),
    RISK_ENGINE_TIMEOUT: options.engineTimeout ?? '2s',
    MODERATION_WEBHOOK_URL: `${webhook.url}/api/webhooks/42/${secrets.webhookSecret}`,
    MODERATION_WORKER_CONCURRENCY: '8',
    // The matrix runs many worlds against one shared PostgreSQL (max_connections 100): stay small.
    POSTGRES_MAX_CONNS: '4',
    MODERATION_DRAIN_TIMEOUT: '10s',
    ...options.workerEnv,
  });
  const workers: WorkerProcess[] = [];
  const closeAll = async () => {
    await Promise.allSettled(workers.map((w) => w.stop()));
    await Promise.allSettled([engine.stop(), webhook.close()]);
    await scenario.close();
  };
  let worker: WorkerProcess;
  try {
    worker = await startWorker(env, `${options.label}-worker`);
    workers.push(worker);
    await worker.waitReady();
  } catch (error) {
    await closeAll();
    throw error;
  }
  const readiness = new ReadinessMonitor(`${worker.baseUrl}/health/ready`).start();
  return {
    scenario,
    engine,
    webhook,
    worker,
    secrets,
    readiness,
    env,
    async startReplica(name, extra = {}) {
      const replica = await startWorker({ ...env, ...extra }, name);
      workers.push(replica);
      await replica.waitReady();
      return replica;
    },
    async secretLeaks() {
      const sources: Record<string, string> = {};
      for (const [i, w] of workers.entries()) {
        sources[`logs:${w.name}#${i}`] = w.logs.text();
        if (w.exitState === undefined)
          sources[`metrics:${w.name}#${i}`] = (await scrapeMetrics(`${w.baseUrl}/metrics`)).text;
      }
      const jobs = await scenario.queue.getJobs(['completed', 'failed', 'delayed', 'wait', 'active']);
      sources.jobs = JSON.stringify(jobs.map((j) => [j.data, j.failedReason, j.returnvalue, j.stacktrace]));
      const outbox = await scenario.pool.query('SELECT last_error, payload_json FROM notification_outbox');
      sources.outbox = JSON.stringify(outbox.rows);
      return findSecretLeaks(sources, [secrets.engineToken, secrets.webhookSecret]);
    },
    async close() {
      await readiness.stop();
      await closeAll();
    },
  };
}
