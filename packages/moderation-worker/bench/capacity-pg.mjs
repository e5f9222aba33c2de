// Capacity through PgBouncer (docs/performance.md, "Capacity"): the real `moderation-worker run`
// against the fake engine, once straight to PostgreSQL and once through a private PgBouncer in
// transaction pooling (POSTGRES_PGBOUNCER=true), alternating within one run so the machine's load
// hits both alike; then 1..N replicas in each mode, counting PostgreSQL backends per replica.
// `npm run bench:capacity-pg -w @geoduels/moderation-worker [-- options]`, after a build.

import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  createWorkerDatabase,
  deletePrefix,
  migrateWithCli,
  openTestPool,
  REDIS_URL,
  startPrivatePgBouncer,
  startWorker,
  stopAllProcesses,
} from '@geoduels/test-support';
import { benchLog, positiveInt } from './lib/cli.mjs';
import { resetModerationTables } from './lib/database.mjs';
import { cpuBetween, machineTicks, processCpuSnapshot, waitFor } from './lib/processes.mjs';
import { benchPrefix, openQueue } from './lib/queue.mjs';
import { seedMatches } from './lib/seed.mjs';
import { imageNodeOptions, STOP_GRACE_MS, startEngine } from './lib/services.mjs';
import { fmt, median } from './lib/stats.mjs';

const log = benchLog('capacity-pg');

const USAGE = `usage: node packages/moderation-worker/bench/capacity-pg.mjs [options]   (after npm run build)

  --matches N      matches per measured run (default 3000)
  --rounds N       direct/PgBouncer pairs, alternating who goes first (default 2)
  --replicas N     the connection count runs go 1..N replicas (default 3)
  --concurrency N  each worker's MODERATION_WORKER_CONCURRENCY (default 128, the ConfigMap's)
  --max-conns N    each worker's POSTGRES_MAX_CONNS (default 5, the ConfigMap's)
  --pool-size N    PgBouncer's default_pool_size (default 5)`;

const { values: args } = parseArgs({
  options: {
    matches: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '2' },
    replicas: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '128' },
    'max-conns': { type: 'string', default: '5' },
    'pool-size': { type: 'string', default: '5' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const options = {
  matches: positiveInt('--matches', args.matches),
  rounds: positiveInt('--rounds', args.rounds),
  replicas: positiveInt('--replicas', args.replicas),
  concurrency: positiveInt('--concurrency', args.concurrency),
  maxConns: positiveInt('--max-conns', args['max-conns']),
  poolSize: positiveInt('--pool-size', args['pool-size']),
};
const WARM_UP = 300;

const prefixes = [];
let db;
let pool;
let engine;
let bouncer;

async function cleanup() {
  await engine?.stop().catch(() => undefined);
  await stopAllProcesses();
  await bouncer?.stop().catch(() => undefined);
  for (const prefix of prefixes) await deletePrefix(REDIS_URL, prefix).catch(() => undefined);
  await pool?.end().catch(() => undefined);
  await db?.drop().catch((error) => log(`could not drop ${db.name}: ${error.message}`));
}

/**
 * The worker's backends on the benchmark's database: straight from the workers (`direct`) and
 * PgBouncer's server connections (`pooled`, told apart by their client port, which PgBouncer's
 * SHOW SERVERS lists as local_port; they outlive a run, server_idle_timeout), PgBouncer's clients and
 * those of them waiting for a server connection.
 */
async function connectionCounts() {
  const servers = (await bouncer.admin('SHOW SERVERS')).filter((row) => row.database === db.name);
  const pooledPorts = servers.map((row) => Number(row.local_port));
  const { rows } = await pool.query(
    `SELECT count(*) FILTER (WHERE NOT client_port = ANY($1::int[]))::int AS direct,
            count(*) FILTER (WHERE client_port = ANY($1::int[]))::int AS pooled
     FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'moderation-worker'`,
    [pooledPorts],
  );
  const clients = (await bouncer.admin('SHOW CLIENTS')).filter((row) => row.database === db.name).length;
  // Clients queued for a server connection: the pool (default_pool_size) is the limit while this is > 0.
  const waiting = (await bouncer.admin('SHOW POOLS'))
    .filter((row) => row.database === db.name)
    .reduce((sum, row) => sum + Number(row.cl_waiting), 0);
  return { ...rows[0], bouncerClients: clients, bouncerWaiting: waiting };
}

async function pendingJobs(queue) {
  const c = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed');
  if (c.failed > 0) throw new Error(`${c.failed} jobs failed`);
  return c.wait + c.prioritized + c.active + c.delayed;
}

async function analysed() {
  const { rows } = await pool.query(
    `SELECT count(*) FILTER (WHERE status = 'analyzed')::int AS analyzed,
            count(*) FILTER (WHERE status <> 'analyzed')::int AS other,
            extract(epoch FROM max(finished_at))::float8 * 1000 AS last_ms
     FROM risk_analysis_runs`,
  );
  if (rows[0].other > 0) throw new Error(`${rows[0].other} matches ended other than analysed`);
  return rows[0];
}

/**
 * One measured run: `replicas` workers in `mode` ('direct' or 'pgbouncer'), warmed up, then
 * `matches` enqueued at once; the rate is matches / (last commit - first enqueue).
 */
async function run(mode, replicas, matchIds) {
  await resetModerationTables(pool);
  const prefix = benchPrefix(`cap-${mode}-${replicas}`);
  prefixes.push(prefix);
  const env = {
    POSTGRES_URL: mode === 'pgbouncer' ? bouncer.through(db.url) : db.url,
    POSTGRES_PGBOUNCER: String(mode === 'pgbouncer'),
    POSTGRES_MAX_CONNS: String(options.maxConns),
    REDIS_URL,
    MODERATION_QUEUE_NAME: 'moderation.risk-analysis',
    MODERATION_QUEUE_PREFIX: prefix,
    MODERATION_WORKER_CONCURRENCY: String(options.concurrency),
    MODERATION_DISCOVERY_ENABLED: 'false',
    RISK_ENGINE_URL: engine.url,
    RISK_ENGINE_TIMEOUT: '750ms',
    MODERATION_WEBHOOK_URL: '',
    NODE_OPTIONS: imageNodeOptions(),
    LOG_LEVEL: 'info',
  };
  const workers = [];
  const q = openQueue(REDIS_URL, prefix);
  try {
    for (let i = 0; i < replicas; i++) workers.push(await startWorker(env, `${mode}-${i + 1}`));
    await Promise.all(workers.map((w) => w.waitReady(60_000)));
    const warm = matchIds.slice(-WARM_UP);
    await q.addAll(warm);
    await waitFor('warm-up analysed', async () => (await pendingJobs(q.queue)) === 0, { timeoutMs: 120_000 });
    await resetModerationTables(pool);
    const ids = matchIds.slice(0, options.matches);
    const named = Object.fromEntries(workers.map((w, i) => [`worker${i}`, w.pid]));
    if (mode === 'pgbouncer') named.pgbouncer = bouncer.pid;
    named.engine = engine.process.pid;
    named.driver = process.pid;
    const pgPids = new Set(
      (
        await pool.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR (datname IS NULL AND backend_type <> 'client backend')`,
        )
      ).rows.map((r) => r.pid),
    );
    const snapshot0 = processCpuSnapshot();
    const machine0 = machineTicks();
    const t0 = Date.now();
    await q.addAll(ids);
    const peak = { direct: 0, pooled: 0, bouncerClients: 0, bouncerWaiting: 0 };
    const done = await waitFor(
      `${replicas} ${mode} worker(s): ${ids.length} analysed`,
      async () => {
        const counts = await connectionCounts();
        for (const key of Object.keys(peak)) peak[key] = Math.max(peak[key], counts[key]);
        if ((await pendingJobs(q.queue)) > 0) return null;
        const row = await analysed();
        return row.analyzed >= ids.length ? row : null;
      },
      { timeoutMs: Math.max(120_000, ids.length * 40), intervalMs: 100 },
    );
    // The backends were sampled only while the run lasted: count the pids seen at the end too.
    for (const r of (await pool.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`))
      .rows)
      pgPids.add(r.pid);
    const used = cpuBetween(snapshot0, processCpuSnapshot(), named, pgPids);
    const machine1 = machineTicks();
    const workerMs = workers.reduce((sum, _, i) => sum + used[`worker${i}`], 0);
    const seconds = (done.last_ms - t0) / 1000;
    return {
      mode,
      replicas,
      matches: ids.length,
      rate: ids.length / seconds,
      workerMsPerMatch: workerMs / ids.length,
      postgresMsPerMatch: used.postgres / ids.length,
      bouncerMsPerMatch: (used.pgbouncer ?? 0) / ids.length,
      machineBusyPct: ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 100,
      peak,
    };
  } finally {
    await q.close();
    await Promise.allSettled(workers.map((w) => w.stop(STOP_GRACE_MS)));
    await deletePrefix(REDIS_URL, prefix);
  }
}

/** The run's own backends: the workers' in direct mode, PgBouncer's server connections through it. */
function backends(run) {
  return run.mode === 'direct' ? run.peak.direct : run.peak.pooled;
}

async function main() {
  const t = machineTicks();
  await sleep(2000);
  const t1 = machineTicks();
  const before = `machine ${fmt(((t1.busy - t.busy) / (t1.total - t.total)) * 100)} % busy over 2 s, load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`;
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  db = await createWorkerDatabase('capacity_pg', { migrate: migrateWithCli });
  pool = openTestPool(db.url, 2);
  const matchIds = (await seedMatches(pool, options.matches + WARM_UP)).matchIds;
  engine = await startEngine();
  bouncer = await startPrivatePgBouncer({ poolSize: options.poolSize, serverUrl: db.url });
  log(
    `seeded ${matchIds.length} matches; PgBouncer on ${bouncer.port}, default_pool_size ${options.poolSize}`,
  );

  const pairs = [];
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? ['direct', 'pgbouncer'] : ['pgbouncer', 'direct'];
    const pair = {};
    for (const mode of order) {
      log(`round ${round + 1}: ${mode}, 1 replica`);
      pair[mode] = await run(mode, 1, matchIds);
    }
    pairs.push(pair);
  }
  const replicaRuns = [];
  for (let replicas = 2; replicas <= options.replicas; replicas++) {
    for (const mode of replicas % 2 === 0 ? ['pgbouncer', 'direct'] : ['direct', 'pgbouncer']) {
      log(`${mode}, ${replicas} replicas`);
      replicaRuns.push(await run(mode, replicas, matchIds));
    }
  }

  const command = `npm run bench:capacity-pg -w @geoduels/moderation-worker${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  console.log('\n### PgBouncer vs direct\n');
  console.log(`Command: \`${command}\`  `);
  console.log(`Machine: ${availableParallelism()} cores, ${cpuModel}; Node ${process.version}  `);
  console.log(`Before the run: ${before}  `);
  console.log(
    `Each worker: MODERATION_WORKER_CONCURRENCY=${options.concurrency}, POSTGRES_MAX_CONNS=${options.maxConns}; PgBouncer: pool_mode=transaction, default_pool_size=${options.poolSize}; ${options.matches} matches per run\n`,
  );
  console.log(
    '| run | mode | matches/s | worker CPU ms/match | PostgreSQL CPU ms/match | PgBouncer CPU ms/match | machine busy |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|');
  pairs.forEach((pair, i) => {
    for (const mode of ['direct', 'pgbouncer']) {
      const r = pair[mode];
      console.log(
        `| ${i + 1} | ${mode} | ${fmt(r.rate)} | ${fmt(r.workerMsPerMatch, 2)} | ${fmt(r.postgresMsPerMatch, 2)} | ${mode === 'direct' ? '-' : fmt(r.bouncerMsPerMatch, 2)} | ${fmt(r.machineBusyPct)} % |`,
      );
    }
  });
  const ratio = median(pairs.map((p) => p.pgbouncer.rate / p.direct.rate));
  const cpuRatio = median(
    pairs.map(
      (p) =>
        (p.pgbouncer.workerMsPerMatch + p.pgbouncer.postgresMsPerMatch + p.pgbouncer.bouncerMsPerMatch) /
        (p.direct.workerMsPerMatch + p.direct.postgresMsPerMatch),
    ),
  );
  console.log(
    `\nMedian of the pairs: PgBouncer / direct throughput ${fmt(ratio, 2)}; CPU per match (worker + PostgreSQL + PgBouncer) ${fmt(cpuRatio, 2)}×`,
  );

  console.log('\n### PostgreSQL connections per replica\n');
  console.log(
    '| replicas | mode | matches/s | peak `moderation-worker` backends | per replica | peak PgBouncer clients | peak clients waiting | worker CPU ms/match |',
  );
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
  const oneReplica = [pairs.at(-1).direct, pairs.at(-1).pgbouncer];
  for (const r of [...oneReplica, ...replicaRuns]) {
    console.log(
      `| ${r.replicas} | ${r.mode} | ${fmt(r.rate)} | ${backends(r)} | ${fmt(backends(r) / r.replicas, 1)} | ${r.mode === 'direct' ? '-' : r.peak.bouncerClients} | ${r.mode === 'direct' ? '-' : r.peak.bouncerWaiting} | ${fmt(r.workerMsPerMatch, 2)} |`,
    );
  }
  console.log(
    `\nAfter the run: load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
}

process.once('SIGINT', () => {
  log('interrupted; cleaning up');
  cleanup().finally(() => process.exit(130));
});
try {
  await main();
} catch (error) {
  log(`failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
