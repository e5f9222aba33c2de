import { deletePrefix, freePort, REDIS_URL, uniquePrefix } from '@geoduels/test-support';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BACKOFF_STRATEGY,
  createProducerConnection,
  DEFAULT_JOB_OPTIONS,
  ENQUEUE_FAILURES,
  enqueueRankedMatchPersisted,
  JOB_NAME,
  openRankedMatchQueue,
  QUEUE_NAME,
  QUEUE_PREFIX,
  type RankedMatchQueueLike,
  rankedMatchJobId,
} from '../index.js';

const prefix = uniquePrefix('producer');
const otherPrefix = uniquePrefix('producer-other');
let redis: Redis;
const opened: Queue[] = [];

/** A Queue as a caller opens one with its own bullmq, on the test prefix unless told otherwise. */
function callerQueue(
  options: { name?: string; prefix?: string; defaults?: Queue['defaultJobOptions'] } = {},
) {
  const queue = new Queue(options.name ?? QUEUE_NAME, {
    connection: redis,
    ...(options.prefix !== 'bullmq default' && { prefix: options.prefix ?? prefix }),
    ...(options.defaults !== undefined && { defaultJobOptions: options.defaults }),
  });
  opened.push(queue);
  return queue;
}

async function keysUnder(keyPrefix: string): Promise<string[]> {
  return redis.keys(`${keyPrefix}:*`);
}

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  for (const queue of opened) await queue.close();
  await deletePrefix(REDIS_URL, prefix);
  await deletePrefix(REDIS_URL, otherPrefix);
  redis.disconnect();
});

describe('enqueueRankedMatchPersisted on a caller-owned Queue', () => {
  it("adds one job per match with the contract's name, id, data and options, over the Queue's own defaults", async () => {
    const queue = callerQueue({
      defaults: {
        attempts: 1,
        backoff: { type: 'fixed', delay: 5 },
        removeOnComplete: true,
        removeOnFail: true,
        keepLogs: 7,
      },
    });
    const matchId = 'a0000000-0000-4000-8000-000000000001';
    const results = await Promise.all([
      enqueueRankedMatchPersisted(queue, matchId, { prefix }),
      enqueueRankedMatchPersisted(queue, matchId, { prefix }),
    ]);
    expect(results).toEqual([
      { ok: true, jobId: `ranked-match-${matchId}` },
      { ok: true, jobId: `ranked-match-${matchId}` },
    ]);
    expect(await queue.getJobCounts('wait')).toEqual({ wait: 1 });
    const job = await queue.getJob(rankedMatchJobId(matchId));
    expect(job?.name).toBe(JOB_NAME);
    expect(job?.data).toEqual({ matchId });
    expect(job?.opts).toMatchObject({
      attempts: 25,
      backoff: { type: BACKOFF_STRATEGY },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 14 * 24 * 3600, count: 50_000 },
      // The Queue's defaults outside the contract still apply.
      keepLogs: 7,
    });
    expect(job?.opts).toMatchObject(DEFAULT_JOB_OPTIONS);
  });

  it('takes any object shaped like a bullmq Queue, not only instances of its own copy of bullmq', async () => {
    const queue = callerQueue();
    // What a Queue from a second copy of bullmq is to this package's: same shape, other class.
    const foreign: RankedMatchQueueLike = Object.assign(Object.create(null), {
      name: queue.name,
      opts: { prefix },
      add: queue.add.bind(queue),
    });
    expect(foreign instanceof Queue).toBe(false);
    const matchId = 'a0000000-0000-4000-8000-000000000002';
    expect(await enqueueRankedMatchPersisted(foreign, matchId, { prefix })).toEqual({
      ok: true,
      jobId: rankedMatchJobId(matchId),
    });
    expect((await queue.getJob(rankedMatchJobId(matchId)))?.opts.attempts).toBe(25);
  });

  it('defaults to the contract queue: openRankedMatchQueue with no location is accepted without one', async () => {
    const queue = openRankedMatchQueue(redis);
    opened.push(queue);
    expect([queue.name, queue.opts.prefix]).toEqual([QUEUE_NAME, QUEUE_PREFIX]);
    expect(await enqueueRankedMatchPersisted(queue, 'not-a-uuid')).toMatchObject({
      reason: 'invalid_match_id',
    });
  });

  it('refuses a Queue under another prefix or name, and adds nothing anywhere', async () => {
    const cases = [
      { queue: callerQueue({ prefix: otherPrefix }), expected: `prefix "${otherPrefix}"` },
      { queue: callerQueue({ name: 'other.queue' }), expected: 'queue "other.queue"' },
    ];
    for (const { queue, expected } of cases) {
      const result = await enqueueRankedMatchPersisted(queue, 'a0000000-0000-4000-8000-000000000003', {
        prefix,
      });
      expect(result).toEqual({ ok: false, reason: 'wrong_queue', detail: expect.stringContaining(expected) });
    }
    // BullMQ's own default prefix is not the contract's either.
    const unprefixed = callerQueue({ prefix: 'bullmq default' });
    expect(await enqueueRankedMatchPersisted(unprefixed, 'a0000000-0000-4000-8000-000000000003')).toEqual({
      ok: false,
      reason: 'wrong_queue',
      detail: `queue "${QUEUE_NAME}" with prefix "bull" is not the analysis queue "${QUEUE_NAME}" with prefix "${QUEUE_PREFIX}"`,
    });
    expect(await keysUnder(otherPrefix)).toEqual([]);
    expect(await callerQueue().getJob(rankedMatchJobId('a0000000-0000-4000-8000-000000000003'))).toBe(
      undefined,
    );
  });

  it('refuses a closed Queue', async () => {
    const queue = callerQueue();
    await queue.close();
    expect(
      await enqueueRankedMatchPersisted(queue, 'a0000000-0000-4000-8000-000000000004', { prefix }),
    ).toEqual({
      ok: false,
      reason: 'queue_closed',
      detail: `queue "${QUEUE_NAME}" was closed`,
    });
  });

  it('refuses something that is not a Queue, such as a Redis connection', async () => {
    const target = redis as unknown as RankedMatchQueueLike;
    expect(await enqueueRankedMatchPersisted(target, 'a0000000-0000-4000-8000-000000000005')).toEqual({
      ok: false,
      reason: 'not_a_queue',
      detail: expect.stringMatching(/^expected a BullMQ Queue; the target has no .*add\(\)/),
    });
  });

  it('refuses an invalid match id naming the field, before looking at the queue', async () => {
    expect(await enqueueRankedMatchPersisted(callerQueue(), 'x', { prefix })).toEqual({
      ok: false,
      reason: 'invalid_match_id',
      detail: expect.stringMatching(/^matchId: /),
    });
  });

  it('returns redis_unavailable within the timeout when Redis is unreachable, and when it errs', async () => {
    const dead = createProducerConnection(`redis://127.0.0.1:${await freePort()}`);
    dead.on('error', () => undefined);
    const queue = openRankedMatchQueue(dead, { prefix });
    queue.on('error', () => undefined);
    try {
      const started = performance.now();
      const result = await enqueueRankedMatchPersisted(queue, 'a0000000-0000-4000-8000-000000000006', {
        prefix,
        timeoutMs: 300,
      });
      expect(result).toMatchObject({ ok: false, reason: 'redis_unavailable' });
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await queue.close();
      dead.disconnect();
    }

    // A connection the caller quit under its queue: Redis's error comes back as a value.
    const own = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const orphan = new Queue(QUEUE_NAME, { connection: own, prefix });
    orphan.on('error', () => undefined);
    await orphan.waitUntilReady();
    await own.quit();
    expect(
      await enqueueRankedMatchPersisted(orphan, 'a0000000-0000-4000-8000-000000000007', { prefix }),
    ).toEqual({
      ok: false,
      reason: 'redis_unavailable',
      detail: expect.any(String),
    });
    await orphan.close();
  });

  it('names every failure it can return', () => {
    expect(ENQUEUE_FAILURES).toEqual([
      'invalid_match_id',
      'not_a_queue',
      'wrong_queue',
      'queue_closed',
      'redis_unavailable',
    ]);
  });
});
