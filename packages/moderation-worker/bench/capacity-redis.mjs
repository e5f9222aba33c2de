// Capacity on one Redis vs a Redis Cluster (docs/performance.md, "Replicas: one Redis vs Redis Cluster"):
// 1, 2 and 3 worker replicas (the real `moderation-worker run` processes) analyse the same matches
// against a private single redis-server and a private 3-master Redis Cluster, in the same run and
// interleaved, so the machine's background load hits both alike. Also Redis memory per waiting match.
// `npm run bench:capacity-redis -w @geoduels/moderation-worker [-- --matches N --replicas 1,2,3 --rounds N]`
// after `npm run build`.

import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  createWorkerDatabase,
  migrateWithCli,
  openTestPool,
  startPrivateRedis,
  startPrivateRedisCluster,
  startWorker,
  stopAllProcesses,
  uniquePrefix,
} from '@geoduels/test-support';
import { Cluster, Redis } from 'ioredis';
import { JOB_NAME, openRankedMatchQueue, rankedMatchJobId } from '../dist/index.js';
import { benchLog, positiveInt } from './lib/cli.mjs';
import { resetModerationTables } from './lib/database.mjs';
import { cpuMs, machineTicks, waitFor } from './lib/processes.mjs';
import { seedMatches } from './lib/seed.mjs';
import { startEngine } from './lib/services.mjs';
import { fmt } from './lib/stats.mjs';

const log = benchLog('capacity');

const { values: args } = parseArgs({
  options: {
    matches: { type: 'string', default: '3000' },
    replicas: { type: 'string', default: '1,2,3' },
    rounds: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '128' },
    'memory-matches': { type: 'string', default: '10000' },
  },
});
const MATCHES = positiveInt('--matches', args.matches);
const REPLICAS = args.replicas.split(',').map((v) => positiveInt('--replicas', v));
const ROUNDS = positiveInt('--rounds', args.rounds);
const CONCURRENCY = positiveInt('--concurrency', args.concurrency);
const MEMORY_MATCHES = positiveInt('--memory-matches', args['memory-matches']);
const WARM = 300;
const BULK = 500;

/** Pids of the redis-server processes listening on `ports` (ours: the shared Redis is other work). */
function redisPids(ports) {
  const wanted = new Set(ports.map(String));
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // redis-server rewrites its title: "redis-server 127.0.0.1:<port>" (plus " [cluster]").
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const port = /^redis-server \S*:(\d+)/.exec(title)?.[1];
      if (port !== undefined && wanted.has(port)) pids.push(Number(entry));
    } catch {
      // The process ended between readdir and read.
    }
  }
  return pids;
}

/** A connection to the target the way a worker opens one (blocking-safe), for enqueueing and counting. */
function connect(target) {
  return target.kind === 'single'
    ? new Redis(target.url, { maxRetriesPerRequest: null })
    : new Cluster(target.nodes, { redisOptions: { maxRetriesPerRequest: null } });
}

function workerEnv(ctx, target, prefix) {
  return {
    POSTGRES_URL: ctx.db.url,
    POSTGRES_MAX_CONNS: '10',
    ...(target.kind === 'single' ? { REDIS_URL: target.url } : { REDIS_CLUSTER_NODES: target.seeds }),
    MODERATION_QUEUE_PREFIX: prefix,
    MODERATION_WORKER_CONCURRENCY: String(CONCURRENCY),
    MODERATION_DISCOVERY_ENABLED: 'false',
    RISK_ENGINE_URL: ctx.engine.url,
    RISK_ENGINE_TIMEOUT: '2s',
    LOG_LEVEL: 'info',
  };
}

async function addAll(queue, ids) {
  for (let i = 0; i < ids.length; i += BULK) {
    await queue.addBulk(
      ids.slice(i, i + BULK).map((matchId) => ({
        name: JOB_NAME,
        data: { matchId },
        opts: { jobId: rankedMatchJobId(matchId) },
      })),
    );
  }
}

async function waitAnalysed(ctx, queue, workers, expected) {
  return waitFor(
    `${expected} matches analysed`,
    async () => {
      for (const w of workers)
        if (w.exitState !== undefined) throw new Error(`${w.name} exited:\n${w.logs.text()}`);
      const c = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'paused', 'failed');
      if (c.failed > 0) throw new Error(`${c.failed} jobs failed`);
      if (c.wait + c.prioritized + c.active + c.delayed + c.paused > 0) return null;
      const { rows } = await ctx.pool.query(
        `SELECT count(*) FILTER (WHERE status = 'analyzed')::int AS analyzed,
                extract(epoch FROM max(finished_at))::float8 * 1000 AS last_ms
         FROM risk_analysis_runs`,
      );
      return rows[0].analyzed >= expected ? rows[0] : null;
    },
    { timeoutMs: Math.max(120_000, expected * 50), intervalMs: 100 },
  );
}

/** One measured run: `replicas` workers on `target` analyse the measured slice after a warm-up. */
async function measure(ctx, target, replicas) {
  await resetModerationTables(ctx.pool);
  const prefix = uniquePrefix(`cap-${target.kind}-${replicas}`, 'gdbench');
  const connection = connect(target);
  const queue = openRankedMatchQueue(connection, { prefix });
  const workers = [];
  try {
    for (let i = 0; i < replicas; i++) {
      const w = await startWorker(workerEnv(ctx, target, prefix), `worker-${target.kind}-${i + 1}`);
      workers.push(w);
    }
    await Promise.all(workers.map((w) => w.waitReady(60_000)));
    await addAll(queue, ctx.warm);
    await waitAnalysed(ctx, queue, workers, ctx.warm.length);
    await resetModerationTables(ctx.pool);
    const cpu0 = workers.map((w) => cpuMs(w.pid));
    const redis0 = target.pids.map((pid) => cpuMs(pid));
    const machine0 = machineTicks();
    const t0 = Date.now();
    await addAll(queue, ctx.ids);
    const done = await waitAnalysed(ctx, queue, workers, ctx.ids.length);
    const cpu = workers.reduce((sum, w, i) => sum + cpuMs(w.pid) - cpu0[i], 0);
    const redisCpu = target.pids.reduce((sum, pid, i) => sum + cpuMs(pid) - redis0[i], 0);
    const machine1 = machineTicks();
    const seconds = (done.last_ms - t0) / 1000;
    return {
      target: target.kind,
      replicas,
      rate: ctx.ids.length / seconds,
      cpuMsPerMatch: cpu / ctx.ids.length,
      redisCpuMsPerMatch: redisCpu / ctx.ids.length,
      machineBusyPct: ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 100,
    };
  } finally {
    await Promise.allSettled(workers.map((w) => w.stop(30_000)));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
  }
}

/**
 * used_memory_dataset (used_memory less the replication backlog, client buffers and other overhead) of
 * the node that serves `prefix`'s slot: the only node a queue's keys live on.
 */
async function datasetMemory(connection, prefix) {
  const node = connection instanceof Cluster ? await slotNode(connection, prefix) : connection;
  const info = await node.info('memory');
  return Number(/^used_memory_dataset:(\d+)/m.exec(info)[1]);
}

async function slotNode(cluster, prefix) {
  const slot = Number(await cluster.cluster('KEYSLOT', prefix));
  const ranges = await cluster.cluster('SLOTS');
  const [, , [, port]] = ranges.find(([from, to]) => slot >= from && slot <= to);
  return cluster.nodes('master').find((n) => n.options.port === port);
}

/** Bytes per waiting job: enqueue with no worker running, compare the dataset's memory before and after. */
async function memoryPerWaitingMatch(ctx, target) {
  const prefix = uniquePrefix(`mem-${target.kind}`, 'gdbench');
  const connection = connect(target);
  const queue = openRankedMatchQueue(connection, { prefix });
  try {
    await queue.waitUntilReady();
    const before = await datasetMemory(connection, prefix);
    await addAll(queue, ctx.memoryIds);
    const after = await datasetMemory(connection, prefix);
    return (after - before) / ctx.memoryIds.length;
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
  }
}

async function main() {
  const before = loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  const ctx = {};
  const cleanups = [];
  try {
    ctx.db = await createWorkerDatabase('capacity', { migrate: migrateWithCli });
    cleanups.push(() => ctx.db.drop());
    ctx.pool = openTestPool(ctx.db.url, 3);
    cleanups.push(() => ctx.pool.end());
    const needed = Math.max(MATCHES + WARM, MEMORY_MATCHES);
    log(`seeding ${fmt(needed)} matches`);
    const seeded = await seedMatches(ctx.pool, needed);
    ctx.ids = seeded.matchIds.slice(0, MATCHES);
    ctx.warm = seeded.matchIds.slice(-WARM);
    ctx.memoryIds = seeded.matchIds.slice(0, MEMORY_MATCHES);
    ctx.engine = await startEngine();
    cleanups.push(() => ctx.engine.stop());
    // Both Redis deployments without persistence, so neither pays for fsyncs the other does not.
    const single = await startPrivateRedis({ persistent: false });
    cleanups.push(() => single.destroy());
    const cluster = await startPrivateRedisCluster({ masters: 3 });
    cleanups.push(() => cluster.destroy());
    const targets = [
      { kind: 'single', url: single.url, pids: redisPids([single.port]) },
      {
        kind: 'cluster',
        seeds: cluster.seedNodes,
        nodes: cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
        pids: redisPids(cluster.nodes.map((n) => n.port)),
      },
    ];
    log(`redis-server pids: one Redis ${targets[0].pids.join(',')}; cluster ${targets[1].pids.join(',')}`);

    const results = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const replicas of REPLICAS) {
        // Alternate who goes first so a change in background load hits both alike.
        const order = (round + replicas) % 2 === 0 ? targets : [...targets].reverse();
        for (const target of order) {
          log(`round ${round + 1}: ${replicas} replica(s) on ${target.kind}, ${fmt(MATCHES)} matches`);
          results.push(await measure(ctx, target, replicas));
        }
      }
    }
    const memory = {};
    for (const target of targets) memory[target.kind] = await memoryPerWaitingMatch(ctx, target);
    const after = loadavg()
      .map((v) => v.toFixed(2))
      .join(' ');

    const flags = process.argv.slice(2).join(' ');
    console.log(
      `\nCommand: \`npm run bench:capacity-redis -w @geoduels/moderation-worker${flags ? ` -- ${flags}` : ''}\``,
    );
    console.log(
      `Load average before: ${before}; after: ${after}. ${fmt(MATCHES)} matches per run, concurrency ${CONCURRENCY} per replica.\n`,
    );
    console.log(
      '| replicas | Redis | matches/s, median (range) | worker CPU ms per match, median (range) | Redis CPU ms per match (all its nodes) | matches/s vs one Redis, same replicas |',
    );
    console.log('| ---: | --- | ---: | ---: | ---: | ---: |');
    const med = (list, key) =>
      [...list.map((r) => r[key])].sort((a, b) => a - b)[Math.floor(list.length / 2)];
    const range = (list, key, digits) => {
      const values = list.map((r) => r[key]);
      return `${fmt(Math.min(...values), digits)}-${fmt(Math.max(...values), digits)}`;
    };
    for (const replicas of REPLICAS) {
      const of = (kind) => results.filter((r) => r.replicas === replicas && r.target === kind);
      const base = med(of('single'), 'rate');
      for (const kind of ['single', 'cluster']) {
        const list = of(kind);
        const rate = med(list, 'rate');
        console.log(
          `| ${replicas} | ${kind === 'single' ? 'one Redis' : 'Cluster, 3 masters + 3 replicas'} | ${fmt(rate)} (${range(list, 'rate', 0)}) | ${fmt(med(list, 'cpuMsPerMatch'), 2)} (${range(list, 'cpuMsPerMatch', 2)}) | ${fmt(med(list, 'redisCpuMsPerMatch'), 2)} | ${fmt(rate / base, 2)} |`,
        );
      }
    }
    console.log('\nEvery run, in order:');
    for (const r of results) {
      console.log(
        `- ${r.replicas} on ${r.target}: ${fmt(r.rate)} matches/s, worker ${fmt(r.cpuMsPerMatch, 2)} CPU-ms per match, Redis ${fmt(r.redisCpuMsPerMatch, 2)}, machine ${fmt(r.machineBusyPct)} % busy`,
      );
    }
    console.log(
      `\nRedis memory per waiting match (${fmt(MEMORY_MATCHES)} jobs enqueued, no worker): one Redis ${fmt(memory.single)} B, cluster (the master serving the queue's slot) ${fmt(memory.cluster)} B.`,
    );
  } finally {
    await stopAllProcesses();
    for (const cleanup of cleanups.reverse())
      await Promise.resolve()
        .then(cleanup)
        .catch((e) => log(`cleanup: ${e.message}`));
  }
}

try {
  await main();
} catch (error) {
  log(`failed: ${error.stack ?? error}`);
  process.exitCode = 1;
}
