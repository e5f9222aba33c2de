import {
  type PrivatePostgres,
  type PrivateRedis,
  ping,
  startPrivatePostgres,
  startPrivateRedis,
  stopAllProcesses,
  uniquePrefix,
} from '@geoduels/test-support';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

let redis: PrivateRedis | undefined;
let postgres: PrivatePostgres | undefined;

afterAll(async () => {
  await redis?.destroy();
  await postgres?.destroy();
  await stopAllProcesses();
});

describe.sequential('private services for restart tests', () => {
  it('runs a private redis that refuses connections while stopped and keeps queued jobs across a restart on the same port', async () => {
    redis = await startPrivateRedis();
    const queue = new Queue('harness', {
      connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null },
      prefix: uniquePrefix('harness'),
    });
    try {
      await queue.add('job', { n: 1 }, { jobId: 'kept-job' });
      await queue.close();

      await redis.stop();
      expect(redis.running).toBe(false);
      expect(await ping(redis.port)).toBe(false);

      await redis.start();
      expect(await ping(redis.port)).toBe(true);
      const reopened = new Queue('harness', {
        connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null },
        prefix: queue.opts.prefix,
      });
      try {
        const job = await reopened.getJob('kept-job');
        expect(job?.data).toEqual({ n: 1 });
        expect(await reopened.getJobCounts('wait')).toEqual({ wait: 1 });
      } finally {
        await reopened.close();
      }
    } finally {
      await queue.close();
    }
  });

  it('runs a private PostgreSQL cluster that refuses connections while stopped and keeps its data across a restart', async () => {
    postgres = await startPrivatePostgres();
    const url = await postgres.createDatabase('harness');
    const write = new pg.Client({ connectionString: url });
    await write.connect();
    await write.query('CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
    await write.end();

    await postgres.stop();
    const refused = new pg.Client({ connectionString: url });
    await expect(refused.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await postgres.start();
    const read = new pg.Client({ connectionString: url });
    await read.connect();
    try {
      const { rows } = await read.query<{ n: number }>('SELECT n FROM kept');
      expect(rows).toEqual([{ n: 42 }]);
    } finally {
      await read.end();
    }
  });
});
