import { queueConfigFromEnv } from '../config.js';
import { describeError } from './checks/check-result.js';
import { defineCommand, EXIT, failure, parseCommandArgs, readConfig, usageError } from './command-io.js';
import { queueLabel, withOperatorQueue } from './operator-queue.js';
import { formatCounts, type QueueStatus, readQueueStatus } from './queue-status.js';

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

interface QueueArgs {
  action: QueueAction;
  json: boolean;
}

/** Parses the arguments that follow `queue`; an Error value is a usage error. */
export function parseQueueArgs(argv: string[]): QueueArgs | Error {
  const parsed = parseCommandArgs({
    args: argv,
    options: { json: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (parsed instanceof Error) return parsed;
  const [action, ...extra] = parsed.positionals;
  if (action === undefined) return new Error('missing action: pause, resume or status');
  if (!(ACTIONS as readonly string[]).includes(action)) {
    return new Error(`unknown action "${action}": expected pause, resume or status`);
  }
  if (extra.length > 0) return new Error(`unexpected argument "${extra[0]}"`);
  return { action: action as QueueAction, json: parsed.values.json === true };
}

/** `moderation-worker queue pause|resume|status`: exit 0 done, 1 Redis unreachable, 2 usage error. */
export const queueCommand = defineCommand({
  name: 'queue',
  synopsis: 'pause|resume|status',
  summary: 'operate the analysis queue',
  usage: QUEUE_USAGE,
  run: async (argv, env, io) => {
    const args = parseQueueArgs(argv);
    if (args instanceof Error) return usageError(io, args.message, QUEUE_USAGE);
    const { action, json } = args;
    const config = readConfig(io, () => queueConfigFromEnv(env));
    if (typeof config === 'number') return config;
    const label = queueLabel(config);
    return withOperatorQueue(io, config, async (queue) => {
      try {
        if (action === 'pause') await queue.pause();
        if (action === 'resume') await queue.resume();
        const status = await readQueueStatus(queue);
        io.stdout.write(describeStatus(action, label, status, json));
        return EXIT.ok;
      } catch (error) {
        return failure(io, `${action} failed on ${label}: ${describeError(error)}`);
      }
    });
  },
});

function describeStatus(action: QueueAction, label: string, status: QueueStatus, json: boolean): string {
  if (json) return `${JSON.stringify({ queue: label, paused: status.paused, counts: status.counts })}\n`;
  const headline = {
    pause: `paused ${label}: workers finish their active jobs and take no new ones; jobs accumulate until \`queue resume\``,
    resume: `resumed ${label}: workers take jobs again`,
    status: `queue ${label}`,
  }[action];
  return `${headline}\npaused: ${status.paused ? 'yes' : 'no'}\n${formatCounts(status)}\n`;
}
