import type { Queue } from 'bullmq';
import { queueConfigFromEnv } from '../config.js';
import type { RedisConnection } from '../runtime/redis-connection.js';
import { describeError } from './checks/check-result.js';
import { type CommandOutput, defineCommand, EXIT, failure, readConfig, usageError } from './command-io.js';
import {
  cleanFailedJobs,
  countFailedJobsOlderThan,
  listFailedJobs,
  retryAllFailedJobs,
  retryFailedJob,
} from './failed-jobs.js';
import { formatFailedJobsJson, formatFailedJobsTable } from './failed-jobs-output.js';
import { queueLabel, withOperatorQueue } from './operator-queue.js';
import { DEFAULT_FAILED_LIMIT, MAX_FAILED_LIMIT, parseQueueArgs, type QueueArgs } from './queue-args.js';
import { formatCounts, type QueueStatus, readQueueStatus } from './queue-status.js';

/** Usage text of `moderation-worker queue`. */
export const QUEUE_USAGE = `Usage: moderation-worker queue <action> [options]

Acts on the analysis queue for every worker replica at once.
  pause [--json]     workers finish the jobs they hold and take no new ones (BullMQ's global pause); new
                     jobs keep accumulating safely in Redis. Use it around a maintenance window instead of
                     scaling to zero.
  resume [--json]    workers start taking jobs again, oldest first
  status [--json]    whether the queue is paused, and its job counts
  failed [--limit N] [--json]
                     the failed jobs, newest first (default ${DEFAULT_FAILED_LIMIT}, at most ${MAX_FAILED_LIMIT}): job id, match id,
                     when it failed, attempts made, failure reason
  retry <jobId|matchId>
                     moves one failed job back to waiting, its attempts reset
  retry --all-failed --yes
                     the same for every failed job (refused without --yes)
  clean --failed --older-than <duration> [--yes]
                     removes failed jobs that failed longer ago than a Go duration (e.g. 72h, up to about
                     24 days; BullMQ drops failed jobs after 14 days anyway); without --yes, only says how
                     many it would remove
Options:
  --json      print the result as one JSON line
  -h, --help  this text
Environment: REDIS_URL, MODERATION_QUEUE_NAME, MODERATION_QUEUE_PREFIX (the worker's values).
Exit 0 on success, 1 when Redis cannot be reached or the job cannot be retried, 2 on a usage error.
`;

/** `moderation-worker queue <action>`: exit 0 done, 1 Redis unreachable or nothing to retry, 2 usage error. */
export const queueCommand = defineCommand({
  name: 'queue',
  synopsis: 'pause|resume|status|failed|retry|clean',
  summary: 'operate the analysis queue and its failed jobs',
  usage: QUEUE_USAGE,
  run: async (argv, env, io) => {
    const args = parseQueueArgs(argv);
    if (args instanceof Error) return usageError(io, args.message, QUEUE_USAGE);
    const config = readConfig(io, () => queueConfigFromEnv(env));
    if (typeof config === 'number') return config;
    const label = queueLabel(config);
    return withOperatorQueue(io, config, async (queue, redis) => {
      try {
        return await runAction(args, { queue, redis, label, io });
      } catch (error) {
        return failure(io, `${args.action} failed on ${label}: ${describeError(error)}`);
      }
    });
  },
});

interface ActionContext {
  queue: Queue;
  redis: RedisConnection;
  label: string;
  io: CommandOutput;
}

async function runAction(args: QueueArgs, { queue, redis, label, io }: ActionContext): Promise<number> {
  switch (args.action) {
    case 'pause':
    case 'resume':
    case 'status': {
      if (args.action === 'pause') await queue.pause();
      if (args.action === 'resume') await queue.resume();
      const status = await readQueueStatus(queue);
      io.stdout.write(describeStatus(args.action, label, status, args.json));
      return EXIT.ok;
    }
    case 'failed': {
      const { total, jobs } = await listFailedJobs(queue, args.limit);
      io.stdout.write((args.json ? formatFailedJobsJson : formatFailedJobsTable)(label, total, jobs));
      return EXIT.ok;
    }
    case 'retry':
      return args.jobId === null ? retryAll(queue, label, io) : retryOne(queue, args.jobId, label, io);
    case 'clean': {
      const { olderThan } = args;
      if (!args.confirmed) {
        const count = await countFailedJobsOlderThan(redis, queue, olderThan.ms, Date.now());
        io.stdout.write(
          `${jobs(count)} failed longer than ${olderThan.text} ago in ${label} would be removed; ` +
            'run again with --yes to remove them\n',
        );
        return EXIT.ok;
      }
      const removed = await cleanFailedJobs(queue, olderThan.ms);
      io.stdout.write(`removed ${jobs(removed)} failed longer than ${olderThan.text} ago from ${label}\n`);
      return EXIT.ok;
    }
  }
}

async function retryOne(queue: Queue, idOrMatch: string, label: string, io: CommandOutput): Promise<number> {
  const outcome = await retryFailedJob(queue, idOrMatch);
  if (outcome.kind === 'not_found') return failure(io, `no job "${outcome.jobId}" in ${label}`);
  if (outcome.kind === 'not_failed') {
    return failure(
      io,
      `job "${outcome.jobId}" is ${outcome.state}, not failed: only failed jobs are retried`,
    );
  }
  const match = outcome.job.matchId === null ? '' : ` (match ${outcome.job.matchId})`;
  io.stdout.write(`retried ${outcome.job.id}${match} in ${label}: waiting again, attempts reset\n`);
  return EXIT.ok;
}

async function retryAll(queue: Queue, label: string, io: CommandOutput): Promise<number> {
  const { retried, skipped } = await retryAllFailedJobs(queue);
  if (retried === 0 && skipped === 0) {
    io.stdout.write(`no failed jobs in ${label}: nothing to retry\n`);
    return EXIT.ok;
  }
  const left = skipped === 0 ? '' : `; ${jobs(skipped)} left the failed set meanwhile and were not retried`;
  io.stdout.write(`retried ${jobs(retried)} in ${label}: waiting again, attempts reset${left}\n`);
  return EXIT.ok;
}

function jobs(count: number): string {
  return `${count} job${count === 1 ? '' : 's'}`;
}

function describeStatus(
  action: 'pause' | 'resume' | 'status',
  label: string,
  status: QueueStatus,
  json: boolean,
): string {
  if (json) return `${JSON.stringify({ queue: label, paused: status.paused, counts: status.counts })}\n`;
  const headline = {
    pause: `paused ${label}: workers finish their active jobs and take no new ones; jobs accumulate until \`queue resume\``,
    resume: `resumed ${label}: workers take jobs again`,
    status: `queue ${label}`,
  }[action];
  return `${headline}\npaused: ${status.paused ? 'yes' : 'no'}\n${formatCounts(status)}\n`;
}
