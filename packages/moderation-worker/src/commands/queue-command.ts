import { parseArgs } from 'node:util';
import { openRankedMatchQueue } from '../analysis/job.js';
import { describeError } from './checks/check-result.js';
import { type CommandOutput, OPS_EXIT, PROCESS_OUTPUT } from './command-output.js';
import { connectOperatorRedis } from './operator-redis.js';
import { formatCounts, type QueueStatus, readQueueStatus } from './queue-status.js';
import { queueTargetFromEnv } from './queue-target.js';
import { describeEndpoint, redactSecrets, secretValues } from './secret-redaction.js';

/** Usage text of `moderation-worker queue`. */
export const QUEUE_USAGE = `Usage: moderation-worker queue pause|resume|status [--json]

Acts on the analysis queue for every worker replica at once (BullMQ's global pause):
  pause    workers finish the jobs they hold and take no new ones; new jobs keep accumulating
           safely in Redis. Use it around a maintenance window instead of scaling to zero.
  resume   workers start taking jobs again, oldest first
  status   whether the queue is paused, and its job counts
Options:
  --json      print the status as one JSON line
  -h, --help  this text
Environment: REDIS_URL, MODERATION_QUEUE_NAME, MODERATION_QUEUE_PREFIX (the worker's values).
Exit 0 on success, 1 when Redis cannot be reached, 2 on a usage error.
`;

const ACTIONS = ['pause', 'resume', 'status'] as const;
type QueueAction = (typeof ACTIONS)[number];
const TIMEOUT_MS = 3_000;

interface QueueArgs {
  help: boolean;
  action: QueueAction | null;
  json: boolean;
}

/** Parses the arguments that follow `queue`; an Error value is a usage error. */
export function parseQueueArgs(argv: string[]): QueueArgs | Error {
  let parsed: { values: { json?: boolean; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    return new Error((error as Error).message);
  }
  const help = parsed.values.help === true;
  const [action, ...extra] = parsed.positionals;
  if (help) return { help, action: null, json: false };
  if (action === undefined) return new Error('missing action: pause, resume or status');
  if (!(ACTIONS as readonly string[]).includes(action)) {
    return new Error(`unknown action "${action}": expected pause, resume or status`);
  }
  if (extra.length > 0) return new Error(`unexpected argument "${extra[0]}"`);
  return { help, action: action as QueueAction, json: parsed.values.json === true };
}

/**
 * Runs `moderation-worker queue pause|resume|status` (argv is what follows `queue`) and returns the
 * exit code: 0 done, 1 Redis unreachable, 2 usage error. Never calls process.exit.
 */
export async function runQueueCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  output: CommandOutput = PROCESS_OUTPUT,
): Promise<number> {
  const args = parseQueueArgs(argv);
  if (args instanceof Error) {
    output.stderr.write(`queue: ${args.message}\n\n${QUEUE_USAGE}`);
    return OPS_EXIT.usage;
  }
  if (args.help || args.action === null) {
    output.stdout.write(QUEUE_USAGE);
    return OPS_EXIT.ok;
  }
  const target = queueTargetFromEnv(env);
  if (target instanceof Error) {
    output.stderr.write(`queue: ${target.message}\n`);
    return OPS_EXIT.usage;
  }
  const secrets = secretValues(env);
  const label = `${target.prefix}:${target.name}`;
  let redis: Awaited<ReturnType<typeof connectOperatorRedis>>;
  try {
    redis = await connectOperatorRedis(target.redisUrl, TIMEOUT_MS);
  } catch (error) {
    const where = describeEndpoint(target.redisUrl);
    output.stderr.write(
      redactSecrets(`queue: Redis at ${where} unreachable: ${describeError(error)}\n`, secrets),
    );
    return OPS_EXIT.failure;
  }
  const queue = openRankedMatchQueue(redis, { name: target.name, prefix: target.prefix });
  try {
    if (args.action === 'pause') await queue.pause();
    if (args.action === 'resume') await queue.resume();
    const status = await readQueueStatus(queue);
    output.stdout.write(describeStatus(args.action, label, status, args.json));
    return OPS_EXIT.ok;
  } catch (error) {
    output.stderr.write(
      redactSecrets(`queue ${args.action} failed on ${label}: ${describeError(error)}\n`, secrets),
    );
    return OPS_EXIT.failure;
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

function describeStatus(action: QueueAction, label: string, status: QueueStatus, json: boolean): string {
  if (json) return `${JSON.stringify({ queue: label, paused: status.paused, counts: status.counts })}\n`;
  const headline = {
    pause: `paused ${label}: workers finish their active jobs and take no new ones; jobs accumulate until \`queue resume\``,
    resume: `resumed ${label}: workers take jobs again`,
    status: `queue ${label}`,
  }[action];
  return `${headline}\npaused: ${status.paused ? 'yes' : 'no'}\n${formatCounts(status)}\n`;
}
