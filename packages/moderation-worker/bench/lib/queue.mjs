// Enqueueing through the worker's own queue contract (built dist), under a prefix of each phase's own.
import { uniquePrefix } from '@geoduels/test-support';
import { Redis } from 'ioredis';
import { JOB_NAME, openRankedMatchQueue, rankedMatchJobId } from '../../dist/index.js';

const BULK = 500;

/** A fresh hash-tagged BullMQ prefix, so each phase starts from an empty queue. */
export function benchPrefix(phase) {
  return uniquePrefix(phase, 'gdbench');
}

/** The analysis queue under `prefix`, with the producer's job options; `close()` ends its connection. */
export function openQueue(redisUrl, prefix) {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = openRankedMatchQueue(connection, { prefix });
  return {
    queue,
    /** Adds one job exactly as the API's producer does. */
    add: (matchId) => queue.add(JOB_NAME, { matchId }, { jobId: rankedMatchJobId(matchId) }),
    /** Adds jobs for every id, 500 per round trip (addBulk keeps the producer's default options). */
    async addAll(matchIds) {
      for (let i = 0; i < matchIds.length; i += BULK) {
        const slice = matchIds.slice(i, i + BULK);
        await queue.addBulk(
          slice.map((matchId) => ({
            name: JOB_NAME,
            data: { matchId },
            opts: { jobId: rankedMatchJobId(matchId) },
          })),
        );
      }
    },
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}
