import { workerConfigFromEnv } from '../config.js';
import { run } from '../main.js';
import { limitHeapGrowth } from '../runtime/heap.js';
import { createLogger } from '../runtime/logger.js';
import { type CommandOutput, defineCommand, EXIT, readConfig, usageError } from './command-io.js';

/** Usage of `moderation-worker run`. */
export const RUN_USAGE = `Usage: moderation-worker run

Consumes ranked-match analysis jobs until SIGTERM/SIGINT, then drains (MODERATION_DRAIN_TIMEOUT) and exits 0.
Serves /health/live, /health/ready, /health and /metrics on MODERATION_WORKER_ADDR (default :8093).
Never migrates: stays not-ready until "migrate up" brought the schema to the version it needs.
Environment: POSTGRES_URL (required), POSTGRES_MAX_CONNS, POSTGRES_PGBOUNCER, REDIS_URL, MODERATION_QUEUE_NAME,
MODERATION_QUEUE_PREFIX, MODERATION_WORKER_ADDR, MODERATION_WORKER_CONCURRENCY, MODERATION_WORKER_BATCH_SIZE,
RISK_ENGINE_URL, RISK_ENGINE_TOKEN, RISK_ENGINE_TIMEOUT, RISK_ANALYSIS_MAX_DEFER, MODERATION_WEBHOOK_URL,
MODERATION_NOTIFY_CONCURRENCY, MODERATION_MAX_NOTIFICATIONS_PER_MATCH, MODERATION_DRAIN_TIMEOUT, LOG_LEVEL.
Tracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; then the standard OTEL_* variables apply.
`;

/** `moderation-worker run` (the default command): the worker itself. */
export const runCommand = defineCommand({
  name: 'run',
  synopsis: '',
  summary: 'consume ranked-match analysis jobs; health and metrics over HTTP',
  usage: RUN_USAGE,
  run: async (argv, env, io) => {
    if (argv.length > 0) return usageError(io, `takes no arguments (got "${argv[0]}")`, RUN_USAGE);
    return runWorker(env, io);
  },
});

/** Runs the worker until a termination signal; resolves to the exit code. */
async function runWorker(env: NodeJS.ProcessEnv, io: CommandOutput): Promise<number> {
  const config = readConfig(io, () => workerConfigFromEnv(env));
  if (typeof config === 'number') return config;
  const logger = createLogger(config.logLevel);
  const heapFlag = limitHeapGrowth();
  if (heapFlag !== null) logger.debug({ flag: heapFlag }, 'heap growth limited');
  const worker = await run(config, { logger });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info({ signal }, 'termination requested');
  // A second signal, or a stop that hangs past the drain bound, must still end the process.
  const guard = setTimeout(() => process.exit(EXIT.failure), config.drainTimeoutMs + 4_000);
  guard.unref();
  process.once('SIGTERM', () => process.exit(EXIT.failure));
  await worker.stop();
  return EXIT.ok;
}
