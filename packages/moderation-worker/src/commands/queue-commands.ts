// `enqueue` and `backfill`: operator commands that put matches (back) on the analysis queue.
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { backfill, DEFAULT_BACKFILL_STATUSES } from '../analysis/backfill.js';
import { DEFAULT_JOB_OPTIONS, rankedMatchJobSchema, requeueRankedMatch } from '../analysis/job.js';
import type { RunStatus } from '../analysis/match-store.js';
import { postgresUrlFromEnv, type QueueConfig, queueConfigFromEnv } from '../config.js';
import { createDatabase } from '../db/pool.js';
import { type CommandIo, configErrorMessage, EXIT, usageError } from './output.js';

/** Usage of `moderation-worker enqueue`. */
export const ENQUEUE_USAGE = `Usage: moderation-worker enqueue <matchId>...

Queues analysis of each match (again: a finished job of the same match is replaced; a pending one is kept).
Environment: REDIS_URL, MODERATION_QUEUE_NAME, MODERATION_QUEUE_PREFIX.
`;

const RUN_STATUSES: RunStatus[] = [
  'analyzed',
  'skipped_disabled',
  'skipped_no_facts',
  'deferred',
  'abandoned',
  'rejected',
];

/** Usage of `moderation-worker backfill`. */
export const BACKFILL_USAGE = `Usage: moderation-worker backfill [--since <time>] [--status <s,...>]

Re-enqueues matches whose analysis did not complete (runs in --status, default
${DEFAULT_BACKFILL_STATUSES.join(',')}) and ranked matches that have no run at all (a lost enqueue).
  --since <time>   only runs first seen / matches finished at or after this ISO 8601 time
  --status <s,...> run statuses to re-enqueue, from: ${RUN_STATUSES.join(', ')}
Environment: POSTGRES_URL (required), REDIS_URL, MODERATION_QUEUE_NAME, MODERATION_QUEUE_PREFIX.
`;

/** Runs `enqueue <matchId>...`. */
export async function enqueueCommand(argv: string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(ENQUEUE_USAGE);
    return EXIT.ok;
  }
  if (argv.length === 0) return usageError(io, 'enqueue needs at least one match id', ENQUEUE_USAGE);
  const invalid = argv.filter((id) => !rankedMatchJobSchema.safeParse({ matchId: id }).success);
  if (invalid.length > 0)
    return usageError(io, `not a match id (uuid): ${invalid.join(', ')}`, ENQUEUE_USAGE);
  const location = readEnv(io, () => queueConfigFromEnv(env));
  if (typeof location === 'number') return location;
  return withQueue(location, async (queue) => {
    for (const matchId of argv) {
      const outcome = await requeueRankedMatch(queue, matchId);
      io.stdout.write(`${JSON.stringify({ matchId, outcome })}\n`);
    }
    return EXIT.ok;
  });
}

/** Runs `backfill [--since <time>] [--status <s,...>]`. */
export async function backfillCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CommandIo,
): Promise<number> {
  let values: { since?: string; status?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        since: { type: 'string' },
        status: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return usageError(io, (error as Error).message, BACKFILL_USAGE);
  }
  if (values.help) {
    io.stdout.write(BACKFILL_USAGE);
    return EXIT.ok;
  }
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since !== undefined && Number.isNaN(since.getTime())) {
    return usageError(io, `--since: "${values.since}" is not a time`, BACKFILL_USAGE);
  }
  const statuses = values.status?.split(',').map((s) => s.trim()) ?? DEFAULT_BACKFILL_STATUSES;
  const unknown = statuses.filter((s) => !(RUN_STATUSES as string[]).includes(s));
  if (unknown.length > 0)
    return usageError(io, `--status: unknown status ${unknown.join(', ')}`, BACKFILL_USAGE);
  const settings = readEnv(io, () => ({ postgresUrl: postgresUrlFromEnv(env), ...queueConfigFromEnv(env) }));
  if (typeof settings === 'number') return settings;
  const db = createDatabase({ url: settings.postgresUrl, maxConns: 2, pgbouncer: true });
  try {
    return await withQueue(settings, async (queue) => {
      const report = await backfill(db, queue, {
        statuses: statuses as RunStatus[],
        ...(since !== undefined && { since }),
      });
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return EXIT.ok;
    });
  } finally {
    await db.pool.end();
  }
}

function readEnv<T>(io: CommandIo, read: () => T): T | number {
  try {
    return read();
  } catch (error) {
    const message = configErrorMessage(error);
    if (message === null) throw error;
    return usageError(io, `invalid configuration: ${message}`);
  }
}

async function withQueue(location: QueueConfig, work: (queue: Queue) => Promise<number>): Promise<number> {
  const connection = new Redis(location.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: true });
  const queue = new Queue(location.queueName, {
    connection,
    prefix: location.queuePrefix,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  try {
    return await work(queue);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
