import { REDIS_URL, type TempDatabase, uniquePrefix } from '@geoduels/test-support';
import { type Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/pool.js';
import {
  createMigratedDatabase,
  readyProducerConnection,
  seedMatch,
} from '../test-support/worker-harness.js';
import { backfill } from './backfill.js';
import { JOB_NAME, openRankedMatchQueue, rankedMatchJobId } from './job.js';

let temp: TempDatabase;
let db: Database;
let connection: Redis;
let queue: Queue;

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('job'));
  connection = await readyProducerConnection();
  queue = openRankedMatchQueue(connection, { prefix: uniquePrefix('job') });
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  await db.pool.end();
  await temp.drop();
});

describe('backfill', () => {
  it('re-enqueues unfinished runs and ranked matches that never got a run, and nothing else', async () => {
    const ids = {
      deferred: 'b0000000-0000-4000-8000-000000000001',
      abandoned: 'b0000000-0000-4000-8000-000000000002',
      disabled: 'b0000000-0000-4000-8000-000000000003',
      analyzed: 'b0000000-0000-4000-8000-000000000004',
      lost: 'b0000000-0000-4000-8000-000000000005',
    };
    for (const matchId of Object.values(ids)) await seedMatch(db, matchId, []);
    const runs: Array<[string, string]> = [
      [ids.deferred, 'deferred'],
      [ids.abandoned, 'abandoned'],
      [ids.disabled, 'skipped_disabled'],
      [ids.analyzed, 'analyzed'],
    ];
    for (const [matchId, status] of runs) {
      await db.pool.query('INSERT INTO risk_analysis_runs (match_id, status) VALUES ($1, $2)', [
        matchId,
        status,
      ]);
    }
    // The abandoned match's old job is still kept as failed: backfill must replace it.
    const failingConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const failing = new Worker(
      queue.name,
      async () => {
        throw new UnrecoverableError('abandoned');
      },
      { connection: failingConnection, prefix: queue.opts.prefix! },
    );
    const failed = new Promise((resolve) => failing.once('failed', resolve));
    await queue.add(JOB_NAME, { matchId: ids.abandoned }, { jobId: rankedMatchJobId(ids.abandoned) });
    await failed;
    await failing.close();
    await failingConnection.quit();

    const report = await backfill(db, queue, { batchSize: 2 });
    expect(report).toEqual({ queued: 4, alreadyPending: 0 });
    const waiting = (await queue.getJobs(['wait', 'waiting'])).map((job) => job.data.matchId);
    expect(new Set(waiting)).toEqual(new Set([ids.deferred, ids.abandoned, ids.disabled, ids.lost]));
    expect(
      await backfill(db, queue, { statuses: ['analyzed'], since: new Date(Date.now() + 3_600_000) }),
    ).toEqual({
      queued: 0,
      alreadyPending: 0,
    });
  });
});
