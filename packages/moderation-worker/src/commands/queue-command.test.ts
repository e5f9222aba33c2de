import { deletePrefix, REDIS_URL, uniquePrefix } from '@geoduels/test-support';
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JOB_NAME, openRankedMatchQueue } from '../analysis/job.js';
import { closedPort } from '../test-support/closed-port.js';
import { captureOutput } from '../test-support/output.js';
import { queueCommand } from './queue-command.js';
import type { QueueStatus } from './queue-status.js';

const QUEUE_NAME = 'moderation.risk-analysis';
const MATCH_A = '0f8e2a8c-2f9f-4d7e-a1c5-5b6f7f1e9a01';
const MATCH_B = '0f8e2a8c-2f9f-4d7e-a1c5-5b6f7f1e9a02';

let redis: Redis;
let prefix: string;
const prefixes: string[] = [];

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});

beforeEach(() => {
  prefix = uniquePrefix('ops-queue');
  prefixes.push(prefix);
});

afterAll(async () => {
  for (const used of prefixes) await deletePrefix(REDIS_URL, used);
  redis.disconnect();
});

function env(): NodeJS.ProcessEnv {
  return { REDIS_URL, MODERATION_QUEUE_NAME: QUEUE_NAME, MODERATION_QUEUE_PREFIX: prefix };
}

describe('moderation-worker queue', () => {
  it('pauses the queue for every worker; jobs accumulate and run after resume', async () => {
    const queue = openRankedMatchQueue(redis, { name: QUEUE_NAME, prefix });
    const paused = captureOutput();
    expect(await queueCommand.run(['pause'], env(), paused.output)).toBe(0);
    expect(paused.out.stdout).toMatch(/^paused \{gdtest-ops-queue-[0-9a-f]+\}:moderation\.risk-analysis/);
    expect(paused.out.stdout).toMatch(/\npaused: yes\n/);
    expect(await queue.isPaused()).toBe(true);

    // A replica started during the window takes nothing: the pause is the queue's, not a process's.
    const processed: string[] = [];
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker(
      QUEUE_NAME,
      async (job: Job<{ matchId: string }>) => {
        processed.push(job.data.matchId);
      },
      { connection, prefix },
    );
    try {
      await worker.waitUntilReady();
      await queue.add(JOB_NAME, { matchId: MATCH_A });
      await queue.add(JOB_NAME, { matchId: MATCH_B });
      const status = captureOutput();
      expect(await queueCommand.run(['status', '--json'], env(), status.output)).toBe(0);
      const reported = JSON.parse(status.out.stdout) as QueueStatus;
      expect(reported.paused).toBe(true);
      expect(reported.counts.waiting).toBe(2);
      expect(reported.counts.active).toBe(0);
      expect(processed).toEqual([]);

      const bothDone = new Promise<void>((resolve) => {
        worker.on('completed', () => {
          if (processed.length === 2) resolve();
        });
      });
      const resumed = captureOutput();
      expect(await queueCommand.run(['resume'], env(), resumed.output)).toBe(0);
      expect(resumed.out.stdout).toMatch(/\npaused: no\n/);
      await bothDone;
      expect(processed.sort()).toEqual([MATCH_A, MATCH_B]);
    } finally {
      await worker.close();
      connection.disconnect();
      await queue.close();
    }
  });

  it('prints whether the queue is paused and its job counts', async () => {
    const queue = openRankedMatchQueue(redis, { name: QUEUE_NAME, prefix });
    await queue.add(JOB_NAME, { matchId: MATCH_A });
    await queue.close();
    const { out, output } = captureOutput();
    expect(await queueCommand.run(['status'], env(), output)).toBe(0);
    expect(out.stdout).toBe(
      `queue ${prefix}:${QUEUE_NAME}\npaused: no\n` +
        'waiting 1, active 0, delayed 0, prioritized 0, failed 0, completed 0\n',
    );
  });

  it('fails with exit 1, promptly and naming the address, when Redis is unreachable', async () => {
    const port = await closedPort();
    const { out, output } = captureOutput();
    const code = await queueCommand.run(
      ['pause'],
      { ...env(), REDIS_URL: `redis://127.0.0.1:${port}` },
      output,
    );
    expect(code).toBe(1);
    expect(out.stderr).toMatch(new RegExp(`Redis at 127\\.0\\.0\\.1:${port} unreachable: .*ECONNREFUSED`));
  });

  it('rejects a missing or unknown action and bad settings with exit 2, and prints usage for --help', async () => {
    const missing = captureOutput();
    expect(await queueCommand.run([], env(), missing.output)).toBe(2);
    expect(missing.out.stderr).toMatch(
      /queue: missing action: pause, resume, status, failed, retry or clean\n/,
    );

    const unknown = captureOutput();
    expect(await queueCommand.run(['drain'], env(), unknown.output)).toBe(2);
    expect(unknown.out.stderr).toMatch(/queue: unknown action "drain": expected pause, resume, status/);

    const badName = captureOutput();
    expect(
      await queueCommand.run(['status'], { ...env(), MODERATION_QUEUE_NAME: 'a:b' }, badName.output),
    ).toBe(2);
    expect(badName.out.stderr).toMatch(/MODERATION_QUEUE_NAME: must not contain ":"/);

    const help = captureOutput();
    expect(await queueCommand.run(['--help'], env(), help.output)).toBe(0);
    expect(help.out.stdout).toMatch(/^Usage: moderation-worker queue <action> \[options\]/);
    expect(help.out.stdout).toMatch(/\n {2}clean --failed --older-than <duration> \[--yes\]\n/);
  });
});
