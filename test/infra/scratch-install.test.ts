// The packages as the game API meets them: the packed tarballs of the risk client, the producer and the
// worker installed into a scratch project that has its own bullmq and ioredis, from the npm cache only
// (`npm ci` in the repository put every dependency there; nothing is downloaded). Needs `npm run build`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  BACKOFF_STRATEGY,
  DEFAULT_JOB_OPTIONS,
  enqueueRankedMatchPersisted,
  JOB_NAME,
  QUEUE_NAME,
  rankedMatchJobId,
} from '@geoduels/moderation-producer';
import { deletePrefix, REDIS_URL, uniquePrefix } from '@geoduels/test-support';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/repo.js';
import { type Lockfile, type PackedWorkspace, scratchLockfile } from './support/scratch-lockfile.js';

const run = promisify(execFile);
const PACKED = ['risk-client', 'moderation-producer', 'moderation-worker'];
const prefix = uniquePrefix('scratch');
let scratch: string;
let redis: Redis;
let readBack: Queue;

async function repoVersion(dependency: string): Promise<string> {
  const json = await readFile(path.join(REPO_ROOT, 'node_modules', dependency, 'package.json'), 'utf8');
  return (JSON.parse(json) as { version: string }).version;
}

/** Runs `file` of the scratch project on this Node.js and parses the JSON line it prints. */
async function runInScratch(file: string, ...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [file, ...args], { cwd: scratch });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

beforeAll(async () => {
  for (const name of PACKED) {
    if (!existsSync(path.join(REPO_ROOT, 'packages', name, 'dist/index.js')))
      throw new Error(`packages/${name}/dist is missing: run \`npm run build\` before this test`);
  }
  scratch = await realpath(await mkdtemp(path.join(tmpdir(), 'gd-scratch-api-')));
  const tarballs: Record<string, string> = {};
  const packed: PackedWorkspace[] = [];
  for (const name of PACKED) {
    const { stdout } = await run(
      'npm',
      ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch],
      { cwd: path.join(REPO_ROOT, 'packages', name) },
    );
    const [report] = JSON.parse(stdout) as PackedWorkspace[];
    tarballs[report!.name] = `file:${report!.filename}`;
    packed.push(report!);
  }
  // The API's own bullmq and ioredis, at the versions the repository's lockfile has in the cache.
  const dependencies = {
    ...tarballs,
    bullmq: await repoVersion('bullmq'),
    ioredis: await repoVersion('ioredis'),
  };
  const name = 'scratch-game-api';
  await writeFile(
    path.join(scratch, 'package.json'),
    JSON.stringify({ name, private: true, type: 'module', dependencies }),
  );
  const repoLock = JSON.parse(await readFile(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  await writeFile(
    path.join(scratch, 'package-lock.json'),
    JSON.stringify(scratchLockfile(repoLock, name, dependencies, packed), null, 2),
  );
  try {
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: scratch,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    const { stdout: cache } = await run('npm', ['config', 'get', 'cache']);
    throw new Error(
      `npm install --offline of the packed tarballs failed (nothing may be downloaded: every dependency must ` +
        `already be in the npm cache ${cache.trim()}; run \`npm ci\` in the repository first):\n${stderr ?? error}`,
    );
  }
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  readBack = new Queue(QUEUE_NAME, { connection: redis, prefix });
}, 240_000);

afterAll(async () => {
  await readBack?.close();
  redis?.disconnect();
  await deletePrefix(REDIS_URL, prefix);
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

/** The job of `matchId` as the repository's bullmq reads it, with the contract's name, data and options. */
async function expectContractJob(matchId: string): Promise<void> {
  const job = await readBack.getJob(rankedMatchJobId(matchId));
  expect(job?.name, matchId).toBe(JOB_NAME);
  expect(job?.data, matchId).toEqual({ matchId });
  expect(job?.opts, matchId).toMatchObject({
    ...DEFAULT_JOB_OPTIONS,
    backoff: { type: BACKOFF_STRATEGY },
    jobId: rankedMatchJobId(matchId),
  });
}

describe('the packed packages in a scratch project with its own bullmq', () => {
  it('install from the cache, the producer sharing the project’s bullmq instead of bringing its own', async () => {
    const resolveFrom = createRequire(path.join(scratch, 'package.json'));
    const bullmq = resolveFrom.resolve('bullmq');
    expect(bullmq.startsWith(path.join(scratch, 'node_modules', 'bullmq'))).toBe(true);
    for (const name of PACKED) {
      const dir = path.join(scratch, 'node_modules', '@geoduels', name);
      expect(existsSync(path.join(dir, 'dist/index.js')), name).toBe(true);
      expect(existsSync(path.join(dir, 'node_modules', 'bullmq')), `${name} has its own bullmq`).toBe(false);
    }
  });

  it('enqueue through a Queue of the project’s bullmq with the contract’s options, read back by ours', async () => {
    const script = path.join(scratch, 'enqueue.mjs');
    await writeFile(
      script,
      `import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { enqueueRankedMatchPersisted, QUEUE_NAME } from '@geoduels/moderation-producer';
const [url, prefix, matchId] = process.argv.slice(2);
const connection = new Redis(url, { maxRetriesPerRequest: 1 });
// The API's queue, with defaults of its own that must not replace the contract's.
const queue = new Queue(QUEUE_NAME, { connection, prefix, defaultJobOptions: { attempts: 1, removeOnComplete: true } });
const elsewhere = new Queue(QUEUE_NAME, { connection });
const result = await enqueueRankedMatchPersisted(queue, matchId, { prefix });
const wrong = await enqueueRankedMatchPersisted(elsewhere, matchId);
await queue.close();
await elsewhere.close();
connection.disconnect();
console.log(JSON.stringify({ result, wrong }));
`,
    );
    const matchId = 'c0000000-0000-4000-8000-000000000001';
    const out = await runInScratch(script, REDIS_URL, prefix, matchId);
    expect(out.result).toEqual({ ok: true, jobId: rankedMatchJobId(matchId) });
    expect(out.wrong).toMatchObject({ ok: false, reason: 'wrong_queue' });
    await expectContractJob(matchId);
  });

  it('accept a Queue of a second copy of bullmq in our producer (no instanceof)', async () => {
    const theirs = createRequire(path.join(scratch, 'package.json')).resolve('bullmq');
    const { Queue: TheirQueue } = (await import(pathToFileURL(theirs).href)) as typeof import('bullmq');
    expect(TheirQueue).not.toBe(Queue);
    const queue = new TheirQueue(QUEUE_NAME, { connection: redis, prefix });
    try {
      expect(queue instanceof Queue).toBe(false);
      const matchId = 'c0000000-0000-4000-8000-000000000002';
      expect(await enqueueRankedMatchPersisted(queue, matchId, { prefix })).toEqual({
        ok: true,
        jobId: rankedMatchJobId(matchId),
      });
      await expectContractJob(matchId);
    } finally {
      await queue.close();
    }
  });

  it('load from CommonJS with require() on this Node.js, and enqueue from there', async () => {
    const script = path.join(scratch, 'consumer.cjs');
    await writeFile(
      script,
      `const client = require('@geoduels/risk-client');
const signals = require('@geoduels/risk-client/signals');
const producer = require('@geoduels/moderation-producer');
const worker = require('@geoduels/moderation-worker');
const { Queue } = require('bullmq');
const { Redis } = require('ioredis');
(async () => {
  const [url, prefix, matchId] = process.argv.slice(2);
  const connection = new Redis(url, { maxRetriesPerRequest: 1 });
  const queue = new Queue(producer.QUEUE_NAME, { connection, prefix });
  const result = await producer.enqueueRankedMatchPersisted(queue, matchId, { prefix });
  await queue.close();
  connection.disconnect();
  console.log(JSON.stringify({
    createRiskClient: typeof client.createRiskClient,
    severityRank: typeof signals.severityRank,
    queueName: producer.QUEUE_NAME,
    workerReport: typeof worker.recordPlayerReport,
    result,
  }));
})();
`,
    );
    const matchId = 'c0000000-0000-4000-8000-000000000003';
    expect(await runInScratch(script, REDIS_URL, prefix, matchId)).toEqual({
      createRiskClient: 'function',
      severityRank: 'function',
      queueName: QUEUE_NAME,
      workerReport: 'function',
      result: { ok: true, jobId: rankedMatchJobId(matchId) },
    });
    await expectContractJob(matchId);
  });
  it('type-check for a TypeScript CommonJS caller under module nodenext, and not under node16', async () => {
    await writeFile(
      path.join(scratch, 'consumer-types.cts'),
      `import { Queue } from 'bullmq';
import { enqueueRankedMatchPersisted, type EnqueueResult, QUEUE_NAME } from '@geoduels/moderation-producer';
import type { ModerationSignal } from '@geoduels/risk-client/signals';
export async function enqueue(queue: Queue, matchId: string): Promise<EnqueueResult> {
  return enqueueRankedMatchPersisted(queue, matchId);
}
export const name: string = QUEUE_NAME;
export type Signal = ModerationSignal;
`,
    );
    const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const compile = (module: string) =>
      run(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--skipLibCheck',
          '--module',
          module,
          '--moduleResolution',
          module,
          '--typeRoots',
          path.join(REPO_ROOT, 'node_modules/@types'),
          '--types',
          'node',
          'consumer-types.cts',
        ],
        { cwd: scratch },
      ).then(
        () => 'ok',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
    expect(await compile('nodenext')).toBe('ok');
    // Older module settings cannot require() ESM: TypeScript says so (TS1479) for every ESM-only package.
    expect(await compile('node16')).toMatch(/consumer-types\.cts.*error TS1479/);
  });
});
