// Redis memory during an engine outage (docs/performance.md, "Outages and Redis memory"). Runs on a
// private, non-persistent redis-server of its own, so `INFO memory` used_memory is the queue's alone.
//   npm run bench:outage [-- --matches N] [-- --only jobs|parking]
//   (or node packages/moderation-worker/bench/outage-memory.mjs, after `npm run build`)
// Phase `jobs` (Redis only): bytes per match waiting in Redis, in the two forms a match takes during
// an outage: a job waiting (as enqueued, never run) and a job the worker deferred (run once, moved to
// delayed with the same BullMQ calls as src/analysis/worker.ts).
// Phase `parking` (Redis, PostgreSQL, the real `moderation-worker run`): enqueue N matches with the
// engine down and a short RISK_ANALYSIS_PARK_AFTER; time until every match is parked (its job gone
// from Redis, its run row deferred and parked) and read Redis memory then; start the engine and time
// until every match is analysed (the recovery sweep re-enqueues them).

import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  createWorkerDatabase,
  freePort,
  migrateWithCli,
  openTestPool,
  startPrivateRedis,
  stopAllProcesses,
} from '@geoduels/test-support';
import { DelayedError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFERRAL_BACKOFF } from '../dist/analysis/deferral.js';
import { QUEUE_NAME } from '../dist/index.js';
import { benchLog } from './lib/cli.mjs';
import { peakRssMiB, waitFor } from './lib/processes.mjs';
import { benchPrefix, openQueue } from './lib/queue.mjs';
import { seedMatches } from './lib/seed.mjs';
import { imageNodeOptions, STOP_GRACE_MS, startEngine, startWorker } from './lib/services.mjs';
import { fmt } from './lib/stats.mjs';

const log = benchLog('outage');

const PHASES = ['jobs', 'parking'];
const { values: args } = parseArgs({
  options: {
    matches: { type: 'string', default: '100000' },
    only: { type: 'string' },
    'park-after': { type: 'string', default: '2s' },
    concurrency: { type: 'string', default: '128' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:outage [-- --matches N (default 100000)] [--only ${PHASES.join(',')}]
       [--park-after 2s (the worker's RISK_ANALYSIS_PARK_AFTER in the parking phase)]`);
  process.exit(0);
}
const matches = Number(args.matches);
if (!Number.isInteger(matches) || matches < 12)
  throw new RangeError('--matches must be a whole number >= 12');
const only = new Set(args.only ? args.only.split(',') : PHASES);

/** used_memory of `INFO memory`, in bytes. */
async function usedMemory(redis) {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)[1]);
}

const mib = (bytes) => `${fmt(bytes / 1_048_576, 1)} MiB`;

/** Ids in the shape of match ids (the jobs phase needs no facts: nothing is analysed). */
function syntheticIds(n) {
  return Array.from({ length: n }, (_, i) => `70000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
}

/** Phase `jobs`: the bytes a waiting match costs Redis, waiting and deferred. */
async function measureJobs(redisUrl) {
  const redis = new Redis(redisUrl);
  const ids = syntheticIds(matches);
  try {
    await redis.flushall();
    const empty = await usedMemory(redis);
    const q = openQueue(redisUrl, benchPrefix('outage-wait'));
    await q.addAll(ids);
    const waiting = await usedMemory(redis);
    const sampleKey = (await redis.keys(`${q.queue.opts.prefix}:${QUEUE_NAME}:ranked-match-*`))[0];
    const sampleBytes = await redis.memory('USAGE', sampleKey);

    // The deferred form: every job run once and moved to delayed exactly as the worker defers a match.
    let deferred = 0;
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const worker = new Worker(
      QUEUE_NAME,
      async (job, token) => {
        deferred += 1;
        await job.moveToDelayed(Date.now() + DEFERRAL_BACKOFF.capMs, token);
        throw new DelayedError();
      },
      { connection, prefix: q.queue.opts.prefix, concurrency: 128 },
    );
    await waitFor(
      'every job deferred',
      async () => deferred >= ids.length && (await q.queue.getDelayedCount()) >= ids.length,
      {
        timeoutMs: 600_000,
        intervalMs: 500,
      },
    );
    await worker.close();
    connection.disconnect();
    const deferredBytes = await usedMemory(redis);
    const deferredSample = await redis.memory('USAGE', sampleKey);
    await q.close();
    return {
      empty,
      waitingPerMatch: (waiting - empty) / ids.length,
      waitingTotal: waiting - empty,
      sampleBytes,
      deferredPerMatch: (deferredBytes - empty) / ids.length,
      deferredTotal: deferredBytes - empty,
      deferredSample,
    };
  } finally {
    redis.disconnect();
  }
}

const PARKED_SQL = `SELECT count(*) FILTER (WHERE status = 'deferred' AND parked_at IS NOT NULL)::int AS parked,
  count(*) FILTER (WHERE status = 'analyzed')::int AS analyzed,
  extract(epoch FROM max(finished_at) FILTER (WHERE status = 'analyzed'))::float8 * 1000 AS last_ms
FROM risk_analysis_runs`;

/** Phase `parking`: the real worker parks N matches during an outage, then drains them on recovery. */
async function measureParking(redisUrl) {
  const db = await createWorkerDatabase('bench_outage', { migrate: migrateWithCli });
  const pool = openTestPool(db.url, 3);
  const redis = new Redis(redisUrl);
  let engine = null;
  let worker = null;
  let q = null;
  try {
    log(`seeding ${fmt(matches)} matches`);
    const { matchIds } = await seedMatches(pool, matches);
    await redis.flushall();
    const empty = await usedMemory(redis);
    const port = await freePort();
    const prefix = benchPrefix('outage-park');
    const ctx = {
      databaseUrl: db.url,
      redisUrl,
      options: { maxConns: 10, nodeOptions: imageNodeOptions(), workerNodeArgs: [] },
    };
    worker = await startWorker(ctx, {
      prefix,
      engineUrl: `http://127.0.0.1:${port}`,
      concurrency: Number(args.concurrency),
      env: { RISK_ANALYSIS_PARK_AFTER: args['park-after'], MODERATION_DISCOVERY_ENABLED: 'false' },
    });
    q = openQueue(redisUrl, prefix);
    const t0 = Date.now();
    await q.addAll(matchIds);
    const enqueued = await usedMemory(redis);
    log(`enqueued ${fmt(matches)} in ${fmt((Date.now() - t0) / 1000, 1)} s; waiting for them to be parked`);
    let peak = enqueued;
    const parked = await waitFor(
      'every match parked',
      async () => {
        peak = Math.max(peak, await usedMemory(redis));
        const { rows } = await pool.query(PARKED_SQL);
        return rows[0].parked >= matches ? rows[0] : null;
      },
      { timeoutMs: Math.max(600_000, matches * 20), intervalMs: 1000 },
    );
    const parkSeconds = (Date.now() - t0) / 1000;
    const parkedBytes = await usedMemory(redis);
    const jobKeys = (await redis.keys(`${prefix}:${QUEUE_NAME}:ranked-match-*`)).length;
    log(`parked ${fmt(parked.parked)} in ${fmt(parkSeconds, 1)} s; starting the engine`);
    engine = await startEngine(port);
    const back = Date.now();
    const done = await waitFor(
      'every parked match analysed',
      async () => {
        const { rows } = await pool.query(PARKED_SQL);
        return rows[0].analyzed >= matches ? rows[0] : null;
      },
      { timeoutMs: Math.max(600_000, matches * 20), intervalMs: 250 },
    );
    return {
      empty,
      enqueuedTotal: enqueued - empty,
      peakTotal: peak - empty,
      parkSeconds,
      parkedTotal: parkedBytes - empty,
      jobKeys,
      drainSeconds: (done.last_ms - back) / 1000,
      workerPeakRssMiB: peakRssMiB(worker.pid),
    };
  } finally {
    await q?.close();
    await worker?.stop(STOP_GRACE_MS);
    await engine?.stop();
    redis.disconnect();
    await pool.end();
    await db.drop();
  }
}

async function main() {
  const load = loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  const server = await startPrivateRedis({ persistent: false });
  try {
    const lines = [];
    if (only.has('jobs')) {
      log(`jobs: ${fmt(matches)} jobs waiting, then deferred`);
      const r = await measureJobs(server.url);
      lines.push(
        `| waiting (enqueued, never run) | ${fmt(r.waitingPerMatch)} B per match (one job hash ${fmt(r.sampleBytes)} B by MEMORY USAGE) | ${mib(r.waitingTotal)} |`,
        `| deferred (run once, moved to delayed) | ${fmt(r.deferredPerMatch)} B per match (one job hash ${fmt(r.deferredSample)} B) | ${mib(r.deferredTotal)} |`,
      );
    }
    if (only.has('parking')) {
      log(`parking: ${fmt(matches)} matches, engine down, RISK_ANALYSIS_PARK_AFTER=${args['park-after']}`);
      const r = await measureParking(server.url);
      lines.push(
        `| enqueued, before parking | ${fmt(r.enqueuedTotal / matches)} B per match | ${mib(r.enqueuedTotal)} (peak while parking ${mib(r.peakTotal)}) |`,
        `| parked (every match parked after ${fmt(r.parkSeconds, 1)} s; ${r.jobKeys} job keys left) | ${fmt(r.parkedTotal / matches, 2)} B per match | ${mib(r.parkedTotal)} |`,
        `| drain once the engine is back: ${fmt(r.drainSeconds, 1)} s to analyse all ${fmt(matches)} (${fmt(matches / r.drainSeconds)}/s); worker peak RSS ${fmt(r.workerPeakRssMiB, 1)} MiB | | |`,
      );
    }
    console.log(`\n## Outages and Redis memory (${fmt(matches)} matches)\n`);
    console.log(
      `Command: \`npm run bench:outage -- ${process.argv.slice(2).join(' ')}\`  \nMachine: ${availableParallelism()} cores; Node ${process.version}; load average before ${load}\n`,
    );
    console.log('| form | Redis bytes | Redis used_memory above empty |\n| --- | --- | --- |');
    for (const line of lines) console.log(line);
  } finally {
    await stopAllProcesses();
    await server.destroy();
  }
}

try {
  await main();
} catch (error) {
  log(`failed: ${error.stack ?? error}`);
  process.exitCode = 1;
}
await sleep(0);
