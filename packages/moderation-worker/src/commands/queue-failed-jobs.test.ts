// `moderation-worker queue failed|retry|clean` against a real Redis: the failed jobs are made by a
// real BullMQ worker whose processor throws, as the analysis worker's failures are.
import { deletePrefix, REDIS_URL, uniquePrefix } from '@geoduels/test-support';
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JOB_NAME, openRankedMatchQueue, rankedMatchJobId } from '../analysis/job.js';
import { captureOutput } from '../test-support/output.js';
import { queueCommand } from './queue-command.js';

const QUEUE_NAME = 'moderation.risk-analysis';
const MATCHES = [
  '5b0c1e52-8d3a-4f0e-9c61-000000000001',
  '5b0c1e52-8d3a-4f0e-9c61-000000000002',
  '5b0c1e52-8d3a-4f0e-9c61-000000000003',
] as const;
const [OLDEST, MIDDLE, NEWEST] = MATCHES;
const HOUR = 3_600_000;

let redis: Redis;
let prefix: string;
const prefixes: string[] = [];
let worker: Worker | undefined;
let workerConnection: Redis | undefined;
/** Matches the test worker fails; any other it completes. */
const failing = new Set<string>();

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});

beforeEach(() => {
  prefix = uniquePrefix('ops-failed');
  prefixes.push(prefix);
  failing.clear();
});

afterEach(async () => {
  await worker?.close();
  workerConnection?.disconnect();
  worker = undefined;
  workerConnection = undefined;
});

afterAll(async () => {
  for (const used of prefixes) await deletePrefix(REDIS_URL, used);
  redis.disconnect();
});

function env(): NodeJS.ProcessEnv {
  return { REDIS_URL, MODERATION_QUEUE_NAME: QUEUE_NAME, MODERATION_QUEUE_PREFIX: prefix };
}

async function queueCli(...argv: string[]) {
  const { out, output } = captureOutput();
  const code = await queueCommand.run(argv, env(), output);
  return { code, ...out };
}

/** Starts a worker on the test queue that fails the matches in `failing` with a reason naming them. */
async function startTestWorker(): Promise<Worker> {
  workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  worker = new Worker(
    QUEUE_NAME,
    async (job: Job<{ matchId: string }>) => {
      if (failing.has(job.data.matchId)) throw new Error(`engine rejected ${job.data.matchId}\nsecond line`);
    },
    { connection: workerConnection, prefix },
  );
  await worker.waitUntilReady();
  return worker;
}

/** Enqueues each match as the API does (job id from the match) with `attempts`, and waits for it to fail. */
async function failMatches(matchIds: readonly string[], attempts = 1): Promise<void> {
  const active = worker ?? (await startTestWorker());
  for (const matchId of matchIds) failing.add(matchId);
  const failed = new Set<string>();
  const allFailed = new Promise<void>((resolve) => {
    const onFailed = (job: Job | undefined) => {
      if (job === undefined || job.attemptsMade < attempts) return;
      failed.add(String(job.data.matchId));
      if (matchIds.every((id) => failed.has(id))) {
        active.off('failed', onFailed);
        resolve();
      }
    };
    active.on('failed', onFailed);
  });
  const queue = openRankedMatchQueue(redis, { name: QUEUE_NAME, prefix });
  for (const matchId of matchIds) {
    await queue.add(
      JOB_NAME,
      { matchId },
      { jobId: rankedMatchJobId(matchId), attempts, backoff: { type: 'fixed', delay: 0 } },
    );
  }
  await queue.close();
  await allFailed;
}

/** Makes a failed job look as if it failed `ageMs` ago: its failure time and its place in the failed set. */
async function ageFailedJob(matchId: string, ageMs: number): Promise<number> {
  const failedAt = Date.now() - ageMs;
  const id = rankedMatchJobId(matchId);
  await redis.zadd(`${prefix}:${QUEUE_NAME}:failed`, 'XX', failedAt, id);
  await redis.hset(`${prefix}:${QUEUE_NAME}:${id}`, 'finishedOn', failedAt);
  return failedAt;
}

/** Three failed matches: OLDEST failed 3 days ago, MIDDLE 2 hours ago, NEWEST just now (after 2 attempts). */
async function threeFailedJobs(): Promise<Record<string, number>> {
  await failMatches([OLDEST, MIDDLE]);
  await failMatches([NEWEST], 2);
  return {
    [OLDEST]: await ageFailedJob(OLDEST, 72 * HOUR),
    [MIDDLE]: await ageFailedJob(MIDDLE, 2 * HOUR),
  };
}

async function jobState(matchId: string): Promise<string> {
  const queue = openRankedMatchQueue(redis, { name: QUEUE_NAME, prefix });
  try {
    return await queue.getJobState(rankedMatchJobId(matchId));
  } finally {
    await queue.close();
  }
}

describe('moderation-worker queue failed', () => {
  it('lists failed jobs newest first with job id, match id, time of failure, attempts and reason', async () => {
    const failedAt = await threeFailedJobs();
    const { code, stdout, stderr } = await queueCli('failed');
    expect(code, stderr).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`3 failed jobs in ${prefix}:${QUEUE_NAME}, newest first:`);
    expect(lines[1]).toMatch(/^FAILED AT +JOB ID +MATCH +ATTEMPTS +REASON$/);
    expect(lines.slice(2).map((line) => line.split(/ {2,}/))).toEqual([
      [
        expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        rankedMatchJobId(NEWEST),
        NEWEST,
        '2',
        `engine rejected ${NEWEST} second line`,
      ],
      [
        new Date(failedAt[MIDDLE]!).toISOString(),
        rankedMatchJobId(MIDDLE),
        MIDDLE,
        '1',
        `engine rejected ${MIDDLE} second line`,
      ],
      [
        new Date(failedAt[OLDEST]!).toISOString(),
        rankedMatchJobId(OLDEST),
        OLDEST,
        '1',
        `engine rejected ${OLDEST} second line`,
      ],
    ]);
  });

  it('shows the newest N with --limit, says how many there are, and prints one JSON line with --json', async () => {
    const failedAt = await threeFailedJobs();
    const limited = await queueCli('failed', '--limit', '2');
    expect(limited.code).toBe(0);
    expect(limited.stdout.split('\n')[0]).toBe(
      `3 failed jobs in ${prefix}:${QUEUE_NAME}; the newest 2 (--limit to see more):`,
    );
    expect(limited.stdout.trimEnd().split('\n')).toHaveLength(4);

    const json = await queueCli('failed', '--json', '--limit', '2');
    expect(json.code).toBe(0);
    expect(json.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(json.stdout)).toEqual({
      queue: `${prefix}:${QUEUE_NAME}`,
      total: 3,
      jobs: [
        {
          id: rankedMatchJobId(NEWEST),
          matchId: NEWEST,
          failedReason: `engine rejected ${NEWEST}\nsecond line`,
          attemptsMade: 2,
          failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        },
        {
          id: rankedMatchJobId(MIDDLE),
          matchId: MIDDLE,
          failedReason: `engine rejected ${MIDDLE}\nsecond line`,
          attemptsMade: 1,
          failedAt: new Date(failedAt[MIDDLE]!).toISOString(),
        },
      ],
    });
  });

  it('says so when there are no failed jobs', async () => {
    expect(await queueCli('failed')).toEqual({
      code: 0,
      stdout: `no failed jobs in ${prefix}:${QUEUE_NAME}\n`,
      stderr: '',
    });
    expect(JSON.parse((await queueCli('failed', '--json')).stdout)).toEqual({
      queue: `${prefix}:${QUEUE_NAME}`,
      total: 0,
      jobs: [],
    });
  });
});

describe('moderation-worker queue retry', () => {
  it('moves one failed job back to waiting with its attempts reset; it then runs again', async () => {
    await failMatches([OLDEST, MIDDLE], 2);
    await worker!.pause();
    const byJobId = await queueCli('retry', rankedMatchJobId(OLDEST));
    expect(byJobId.code, byJobId.stderr).toBe(0);
    expect(byJobId.stdout).toBe(
      `retried ${rankedMatchJobId(OLDEST)} (match ${OLDEST}) in ${prefix}:${QUEUE_NAME}: waiting again, attempts reset\n`,
    );
    expect(await jobState(OLDEST)).toBe('waiting');
    expect(await jobState(MIDDLE)).toBe('failed');
    const queue = openRankedMatchQueue(redis, { name: QUEUE_NAME, prefix });
    expect((await queue.getJob(rankedMatchJobId(OLDEST)))?.attemptsMade).toBe(0);
    await queue.close();

    // The cause is fixed: the retried job now completes.
    failing.delete(OLDEST);
    const completed = new Promise<void>((resolve) => worker!.once('completed', () => resolve()));
    worker!.resume();
    await completed;
    expect(await jobState(OLDEST)).toBe('completed');

    // A match id stands for its job.
    const byMatch = await queueCli('retry', MIDDLE);
    expect(byMatch.code, byMatch.stderr).toBe(0);
    expect(byMatch.stdout).toMatch(new RegExp(`^retried ${rankedMatchJobId(MIDDLE)} \\(match ${MIDDLE}\\)`));
  });

  it('fails with exit 1, naming the job, when it does not exist or is not failed', async () => {
    await failMatches([OLDEST]);
    failing.clear();
    const queue = openRankedMatchQueue(redis, { name: QUEUE_NAME, prefix });
    const done = new Promise<void>((resolve) => worker!.once('completed', () => resolve()));
    await queue.add(JOB_NAME, { matchId: NEWEST }, { jobId: rankedMatchJobId(NEWEST) });
    await queue.close();
    await done;

    const missing = await queueCli('retry', 'ranked-match-nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `moderation-worker queue: no job "ranked-match-nope" in ${prefix}:${QUEUE_NAME}\n`,
    );

    const notFailed = await queueCli('retry', rankedMatchJobId(NEWEST));
    expect(notFailed.code).toBe(1);
    expect(notFailed.stderr).toBe(
      `moderation-worker queue: job "${rankedMatchJobId(NEWEST)}" is completed, not failed: only failed jobs are retried\n`,
    );
    expect(await jobState(OLDEST)).toBe('failed');
  });

  it('refuses --all-failed without --yes, naming the flag, and retries every failed job with it', async () => {
    await threeFailedJobs();
    await worker!.pause();
    const refused = await queueCli('retry', '--all-failed');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^moderation-worker queue: --all-failed retries every failed job: add --yes to confirm/,
    );
    for (const matchId of MATCHES) expect(await jobState(matchId)).toBe('failed');

    const confirmed = await queueCli('retry', '--all-failed', '--yes');
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(confirmed.stdout).toBe(
      `retried 3 jobs in ${prefix}:${QUEUE_NAME}: waiting again, attempts reset\n`,
    );
    for (const matchId of MATCHES) expect(await jobState(matchId)).toBe('waiting');

    const again = await queueCli('retry', '--all-failed', '--yes');
    expect(again.stdout).toBe(`no failed jobs in ${prefix}:${QUEUE_NAME}: nothing to retry\n`);
  });
});

describe('moderation-worker queue clean', () => {
  it('without --yes only says how many failed jobs it would remove; with --yes removes exactly those', async () => {
    await threeFailedJobs();
    const dryRun = await queueCli('clean', '--failed', '--older-than', '1h30m');
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toBe(
      `2 jobs failed longer than 1h30m ago in ${prefix}:${QUEUE_NAME} would be removed; run again with --yes to remove them\n`,
    );
    for (const matchId of MATCHES) expect(await jobState(matchId)).toBe('failed');

    const removed = await queueCli('clean', '--failed', '--older-than', '1h30m', '--yes');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe(`removed 2 jobs failed longer than 1h30m ago from ${prefix}:${QUEUE_NAME}\n`);
    expect(await jobState(OLDEST)).toBe('unknown');
    expect(await jobState(MIDDLE)).toBe('unknown');
    expect(await jobState(NEWEST)).toBe('failed');

    const nothingLeft = await queueCli('clean', '--failed', '--older-than', '24h', '--yes');
    expect(nothingLeft.stdout).toBe(
      `removed 0 jobs failed longer than 24h ago from ${prefix}:${QUEUE_NAME}\n`,
    );
  });
});

describe('moderation-worker queue usage errors', () => {
  it.each([
    [['retry'], 'missing job id: "queue retry <jobId>", or "queue retry --all-failed --yes"'],
    [['retry', 'a', 'b'], 'unexpected argument "b": retry takes one job id'],
    [['retry', 'a', '--all-failed', '--yes'], 'give either a job id or --all-failed, not both'],
    [['retry', 'a', '--yes'], '--yes applies only to --all-failed'],
    [['clean', '--older-than', '72h'], 'missing --failed: clean removes failed jobs only'],
    [['clean', '--failed'], 'missing --older-than <duration>'],
    [['clean', '--failed', '--older-than', '3d'], '--older-than: "3d" uses unknown unit "d"'],
    [['clean', '--failed', '--older-than', '72'], '--older-than: "72" has a number without a unit'],
    [['failed', '--limit', '0'], '--limit: must be a whole number from 1 to 10000 (got "0")'],
    [['failed', '--limit', 'ten'], '--limit: must be a whole number from 1 to 10000 (got "ten")'],
    [['failed', 'now'], 'unexpected argument "now"'],
    [['status', '--limit', '5'], '--limit does not apply to "queue status"'],
    [['failed', '--yes'], '--yes does not apply to "queue failed"'],
    [['clean', '--failed', '--older-than', '1h', '--json'], '--json does not apply to "queue clean"'],
    [['retry', '--all', '--yes'], "Unknown option '--all'"],
  ])('queue %j exits 2 naming what was wrong', async (argv, message) => {
    const { code, stdout, stderr } = await queueCli(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toContain(`moderation-worker queue: ${message}`);
    expect(stderr).toContain('Usage: moderation-worker queue <action>');
  });
});
