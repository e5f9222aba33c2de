import { REDIS_URL, uniquePrefix } from '@geoduels/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRankedMatchQueue, rankedMatchJobId } from '../analysis/job.js';
import { closedPort } from '../test-support/closed-port.js';
import { captureOutput } from '../test-support/output.js';
import { enqueueCommand } from './enqueue-command.js';

const MATCH_A = '1c0d5a77-8f3e-4b8e-9a43-2f1e7d6c5b01';
const MATCH_B = '1c0d5a77-8f3e-4b8e-9a43-2f1e7d6c5b02';
const prefix = uniquePrefix('enqueue-cmd');
let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  const queue = openRankedMatchQueue(redis, { prefix });
  await queue.obliterate({ force: true });
  await queue.close();
  redis.disconnect();
});

describe('moderation-worker enqueue', () => {
  it('queues each match once, prints one JSON line per match, and keeps a pending job', async () => {
    const first = captureOutput();
    expect(
      await enqueueCommand.run(
        [MATCH_A, MATCH_B],
        { REDIS_URL, MODERATION_QUEUE_PREFIX: prefix },
        first.output,
      ),
    ).toBe(0);
    expect(first.out.stdout).toBe(
      `{"matchId":"${MATCH_A}","outcome":"queued"}\n{"matchId":"${MATCH_B}","outcome":"queued"}\n`,
    );
    const again = captureOutput();
    expect(
      await enqueueCommand.run([MATCH_A], { REDIS_URL, MODERATION_QUEUE_PREFIX: prefix }, again.output),
    ).toBe(0);
    expect(again.out.stdout).toBe(`{"matchId":"${MATCH_A}","outcome":"already_pending"}\n`);
    const queue = openRankedMatchQueue(redis, { prefix });
    expect(await queue.getJob(rankedMatchJobId(MATCH_A))).toBeDefined();
    await queue.close();
  });

  it('rejects a missing or malformed match id with exit 2 and the usage', async () => {
    const none = captureOutput();
    expect(await enqueueCommand.run([], {}, none.output)).toBe(2);
    expect(none.out.stderr).toMatch(/^moderation-worker enqueue: needs at least one match id\n\nUsage:/);
    const bad = captureOutput();
    expect(await enqueueCommand.run([MATCH_A, 'match-7'], {}, bad.output)).toBe(2);
    expect(bad.out.stderr).toContain('not a match id (uuid): match-7');
  });

  it('fails promptly with exit 1 naming the address, never the password, when Redis is unreachable', async () => {
    const port = await closedPort();
    const { out, output } = captureOutput();
    const started = Date.now();
    const code = await enqueueCommand.run(
      [MATCH_A],
      { REDIS_URL: `redis://:hunter2-redis@127.0.0.1:${port}` },
      output,
    );
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(out.stderr).toMatch(
      new RegExp(`^moderation-worker enqueue: Redis at 127\\.0\\.0\\.1:${port} unreachable: .*ECONNREFUSED`),
    );
    expect(out.stderr).not.toContain('hunter2-redis');
  });

  it('names a bad queue variable with exit 2', async () => {
    const { out, output } = captureOutput();
    expect(await enqueueCommand.run([MATCH_A], { MODERATION_QUEUE_NAME: 'a:b' }, output)).toBe(2);
    expect(out.stderr).toBe(
      'moderation-worker enqueue: invalid configuration: MODERATION_QUEUE_NAME: must not contain ":"\n',
    );
  });
});
