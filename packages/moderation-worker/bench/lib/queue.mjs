// Enqueueing through the worker's own queue contract (built dist), and removing a phase's keys.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { JOB_NAME, openRankedMatchQueue, rankedMatchJobId } from '../../dist/index.js';

const BULK = 500;

/** A fresh hash-tagged BullMQ prefix, so each phase starts from an empty queue. */
export function benchPrefix(phase) {
  return `{gdbench-${phase}-${randomBytes(4).toString('hex')}}`;
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

/** Deletes every key under `prefix` (SCAN + UNLINK in batches; bounded by the key count). */
export async function deletePrefix(redisUrl, prefix) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
