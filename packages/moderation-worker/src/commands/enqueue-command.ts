import { rankedMatchJobSchema, requeueRankedMatch } from '../analysis/job.js';
import { queueConfigFromEnv } from '../config.js';
import { defineCommand, EXIT, readConfig, usageError } from './command-io.js';
import { withOperatorQueue } from './operator-queue.js';

/** Usage of `moderation-worker enqueue`. */
export const ENQUEUE_USAGE = `Usage: moderation-worker enqueue <matchId>...

Queues analysis of each match (again: a finished job of the same match is replaced; a pending one is kept).
Environment: REDIS_URL, MODERATION_QUEUE_NAME, MODERATION_QUEUE_PREFIX.
`;

/** `moderation-worker enqueue <matchId>...`: one JSON line per match with its outcome. */
export const enqueueCommand = defineCommand({
  name: 'enqueue',
  synopsis: '<matchId>...',
  summary: 'queue analysis of matches',
  usage: ENQUEUE_USAGE,
  run: async (argv, env, io) => {
    if (argv.length === 0) return usageError(io, 'needs at least one match id', ENQUEUE_USAGE);
    const invalid = argv.filter((id) => !rankedMatchJobSchema.safeParse({ matchId: id }).success);
    if (invalid.length > 0)
      return usageError(io, `not a match id (uuid): ${invalid.join(', ')}`, ENQUEUE_USAGE);
    const config = readConfig(io, () => queueConfigFromEnv(env));
    if (typeof config === 'number') return config;
    return withOperatorQueue(io, config, async (queue) => {
      for (const matchId of argv) {
        const outcome = await requeueRankedMatch(queue, matchId);
        io.stdout.write(`${JSON.stringify({ matchId, outcome })}\n`);
      }
      return EXIT.ok;
    });
  },
});
