import { type WorkerConfig, workerConfigFromEnv } from '../config.js';
import { formatCheckJson, formatCheckTable } from './checks/check-report.js';
import { type CheckResult, describeError, failed, passed, skipped } from './checks/check-result.js';
import { checkDeadLetters } from './checks/dead-letters.js';
import { checkQueue } from './checks/queue.js';
import { checkRiskEngine } from './checks/risk-engine.js';
import { checkSchemaVersion } from './checks/schema-version.js';
import { checkWorkerEndpoints } from './checks/worker-endpoints.js';
import {
  type CommandOutput,
  defineCommand,
  EXIT,
  parseCommandArgs,
  usageError,
  warning,
} from './command-io.js';
import { parseWorkerUrl, workerUrlFromAddress } from './worker-url.js';

/** Usage text of `moderation-worker check`. */
export const CHECK_USAGE = `Usage: moderation-worker check [--worker-url http://host:8093] [--timeout-ms n] [--json]

Post-deploy checks for the moderation worker, printed as a table (or one JSON document):
  config                     the worker's environment parses (same rules as \`run\`)
  worker /health, /health/live, /health/ready
                             HTTP 2xx from the worker (default: its MODERATION_WORKER_ADDR on 127.0.0.1)
  risk engine /health/ready  with the token, when RISK_ENGINE_URL is set (SKIP when disabled)
  schema version             the worker's own moderation_worker_schema_migrations (not the API's
                             schema_migrations) is clean and at least what this release needs
  notifications              no review notification is dead-lettered (every allowed attempt failed,
                             MODERATION_NOTIFY_MAX_ATTEMPTS); each one needs a person
  redis                      Redis answers PING
  redis maxmemory-policy     must be noeviction: any other policy lets Redis evict queue keys and lose jobs
  queue                      the queue's job counts; FAIL while the queue is paused
Options:
  --worker-url <url>  base URL of the worker's HTTP server
  --timeout-ms <n>    per-check deadline in milliseconds (default 3000)
  --json              print {"ok", "summary", "counts", "checks": [{"name", "status", "detail"}]} on one line
  -h, --help          this text
Environment: the worker's own (POSTGRES_URL, REDIS_URL, RISK_ENGINE_*, MODERATION_QUEUE_*, ...).
Exit 0 when every check passes, 1 when any fails, 2 on a usage error. Secrets are never printed.
`;

const DEFAULT_TIMEOUT_MS = 3_000;

interface CheckArgs {
  workerUrl: URL | null;
  timeoutMs: number;
  json: boolean;
}

/** Parses the arguments that follow `check`; an Error value is a usage error. */
export function parseCheckArgs(argv: string[]): CheckArgs | Error {
  const parsed = parseCommandArgs({
    args: argv,
    options: {
      'worker-url': { type: 'string' },
      'timeout-ms': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (parsed instanceof Error) return parsed;
  const { values } = parsed;
  const workerUrl = values['worker-url'] === undefined ? null : parseWorkerUrl(values['worker-url']);
  if (workerUrl instanceof Error) return workerUrl;
  const rawTimeout = values['timeout-ms'];
  const timeoutMs = rawTimeout === undefined ? DEFAULT_TIMEOUT_MS : Number(rawTimeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    return new Error(`--timeout-ms: must be a positive whole number (got "${rawTimeout}")`);
  }
  return { workerUrl, timeoutMs, json: values.json === true };
}

/** `moderation-worker check`: exit 0 when every check passes, 1 when any fails, 2 on a usage error. */
export const checkCommand = defineCommand({
  name: 'check',
  synopsis: '',
  summary: 'check the configuration and dependencies',
  usage: CHECK_USAGE,
  run: async (argv, env, io) => {
    const args = parseCheckArgs(argv);
    if (args instanceof Error) return usageError(io, args.message, CHECK_USAGE);
    const results = await runChecks(env, args, io);
    io.stdout.write(args.json ? formatCheckJson(results) : formatCheckTable(results));
    return results.some((r) => r.status === 'fail') ? EXIT.failure : EXIT.ok;
  },
});

async function runChecks(env: NodeJS.ProcessEnv, args: CheckArgs, io: CommandOutput): Promise<CheckResult[]> {
  let config: WorkerConfig | null = null;
  let configResult: CheckResult;
  try {
    config = workerConfigFromEnv(env);
    configResult = passed('config', 'environment valid');
  } catch (error) {
    configResult = failed('config', describeError(error));
  }
  const workerUrl = args.workerUrl ?? workerUrlFromAddress(config?.addr ?? null);
  const notChecked = (name: string) => [skipped(name, 'not checked: configuration invalid')];
  const groups = await Promise.all([
    checkWorkerEndpoints(workerUrl, args.timeoutMs),
    config ? checkRiskEngine(config.riskEngine).then((r) => [r]) : notChecked('risk engine'),
    config
      ? checkSchemaVersion(config.postgresUrl, args.timeoutMs).then((r) => [r])
      : notChecked('schema version'),
    config
      ? checkDeadLetters(config.postgresUrl, args.timeoutMs).then((r) => [r])
      : notChecked('notifications'),
    config
      ? checkQueue(config, args.timeoutMs, ({ message }) => warning(io, `BullMQ: ${message}`))
      : [...notChecked('redis'), ...notChecked('redis maxmemory-policy'), ...notChecked('queue')],
  ]);
  return [configResult, ...groups.flat()];
}
