import { backfill, DEFAULT_BACKFILL_STATUSES } from '../analysis/backfill.js';
import { RUN_STATUSES, type RunStatus } from '../analysis/match-store.js';
import { postgresUrlFromEnv, queueConfigFromEnv } from '../config.js';
import { createDatabase } from '../db/pool.js';
import { defineCommand, EXIT, parseCommandArgs, readConfig, usageError } from './command-io.js';
import { withOperatorQueue } from './operator-queue.js';

const OPTIONS = { since: { type: 'string' }, status: { type: 'string' } } as const;

/** Usage of `moderation-worker backfill`. */
export const BACKFILL_USAGE = `Usage: moderation-worker backfill [--since <time>] [--status <s,...>]

Re-enqueues matches whose analysis did not complete (runs in --status, default
${DEFAULT_BACKFILL_STATUSES.join(',')}) and ranked matches that have no run at all (a lost enqueue).
  --since <time>   only runs first seen / matches finished at or after this ISO 8601 time
  --status <s,...> run statuses to re-enqueue, from: ${RUN_STATUSES.join(', ')}
Environment: POSTGRES_URL (required), REDIS_URL, MODERATION_QUEUE_NAME, MODERATION_QUEUE_PREFIX.
`;

/** `moderation-worker backfill [--since <time>] [--status <s,...>]`: one JSON line with the counts. */
export const backfillCommand = defineCommand({
  name: 'backfill',
  synopsis: '[--since] [--status]',
  summary: 're-enqueue matches whose analysis did not complete',
  usage: BACKFILL_USAGE,
  run: async (argv, env, io) => {
    const parsed = parseCommandArgs({ args: argv, options: OPTIONS });
    if (parsed instanceof Error) return usageError(io, parsed.message, BACKFILL_USAGE);
    const { values } = parsed;
    const since = values.since === undefined ? undefined : new Date(values.since);
    if (since !== undefined && Number.isNaN(since.getTime())) {
      return usageError(io, `--since: "${values.since}" is not a time`, BACKFILL_USAGE);
    }
    const statuses = values.status?.split(',').map((s) => s.trim()) ?? DEFAULT_BACKFILL_STATUSES;
    const unknown = statuses.filter((s) => !(RUN_STATUSES as readonly string[]).includes(s));
    if (unknown.length > 0)
      return usageError(io, `--status: unknown status ${unknown.join(', ')}`, BACKFILL_USAGE);
    const config = readConfig(io, () => ({
      postgresUrl: postgresUrlFromEnv(env),
      ...queueConfigFromEnv(env),
    }));
    if (typeof config === 'number') return config;
    const db = createDatabase({ url: config.postgresUrl, maxConns: 2, pgbouncer: true });
    try {
      return await withOperatorQueue(io, config, async (queue) => {
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
  },
});
