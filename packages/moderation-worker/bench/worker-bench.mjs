// The worker benchmark (docs/performance.md): seeds its own database, runs the baseline and the worker (the
// real `moderation-worker run` process) against a fake engine in a process of its own, and prints
// one Markdown table. `npm run bench` (CI size, ~1-2 min) or `npm run bench -- --full`.
// Options (docs/performance.md): --matches N, --rounds N, --concurrency N, --max-conns N, --sweep 8,16,64,
// --cpu-prof, --only baseline,throughput,latency,backlog,client, --no-client, --worker-cli <path>,
// --worker-node-args=<flags>, --node-options <value> (the worker's NODE_OPTIONS; default its image's).

import { readFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  createWorkerDatabase,
  deletePrefix,
  migrateWithCli,
  openTestPool,
  REDIS_URL,
  stopAllProcesses,
} from '@geoduels/test-support';
import { benchLog, positiveInt } from './lib/cli.mjs';
import { runClientBench } from './lib/client-bench.mjs';
import { measureBacklog, measureLatency, measureThroughput, WARM_UP_MATCHES } from './lib/phases.mjs';
import { machineTicks } from './lib/processes.mjs';
import { summariseProfile } from './lib/profile.mjs';
import { benchPrefix } from './lib/queue.mjs';
import { detailLines, resultTable } from './lib/report.mjs';
import { seedMatches } from './lib/seed.mjs';
import { imageNodeOptions, startEngine } from './lib/services.mjs';
import { fmt, median } from './lib/stats.mjs';

const log = benchLog('bench');

const SIZES = {
  ci: { throughput: 5_000, rounds: 3, latencySeconds: 8, backlog: 5_000, idleSeconds: 5 },
  full: { throughput: 20_000, rounds: 1, latencySeconds: 60, backlog: 100_000, idleSeconds: 30 },
};
const LATENCY_RATE = 200;
const LATENCY_WARM_SECONDS = 5;
const PHASES = ['baseline', 'throughput', 'latency', 'backlog', 'client'];
const USAGE = `usage: npm run bench [-- options]   (or node packages/moderation-worker/bench/worker-bench.mjs, after a build)

  --full                    the full sizes (default: the CI sizes)
  --matches N, --rounds N   throughput matches per run, interleaved rounds
  --concurrency N           the worker's concurrency (default 128); --sweep 8,16,64 adds runs at these
  --max-conns N             the pool size of the worker and the baseline (default 10)
  --only LIST               phases to run: ${PHASES.join(',')}; --no-client skips the client's benchmark
  --cpu-prof                also profile one throughput run of the worker
  --worker-cli PATH, --worker-node-args=FLAGS, --node-options VALUE   how the worker is started

See docs/performance.md for what each phase measures.`;

const { values: args } = parseArgs({
  options: {
    // `npm run bench -- --full` at the root reaches this script only as npm's config (the root
    // script chains `npm run bench -w ...`, which takes the flag for itself).
    full: { type: 'boolean', default: process.env.npm_config_full === 'true' },
    matches: { type: 'string' },
    rounds: { type: 'string' },
    concurrency: { type: 'string', default: '128' },
    sweep: { type: 'string' },
    'max-conns': { type: 'string', default: '10' },
    'cpu-prof': { type: 'boolean', default: false },
    'no-client': { type: 'boolean', default: false },
    only: { type: 'string' },
    'worker-cli': { type: 'string' },
    'worker-node-args': { type: 'string', default: '' },
    'node-options': { type: 'string', default: imageNodeOptions() },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const sizes = { ...(args.full ? SIZES.full : SIZES.ci) };
if (args.matches) sizes.throughput = positiveInt('--matches', args.matches);
if (args.rounds) sizes.rounds = positiveInt('--rounds', args.rounds);
const options = {
  concurrency: positiveInt('--concurrency', args.concurrency),
  maxConns: positiveInt('--max-conns', args['max-conns']),
  sweep: args.sweep ? args.sweep.split(',').map((v) => positiveInt('--sweep', v)) : [],
  only: phases(args.only),
  workerCli: args['worker-cli'],
  workerNodeArgs: args['worker-node-args'].split(' ').filter(Boolean),
  nodeOptions: args['node-options'],
};
const redisUrl = REDIS_URL;

function phases(list) {
  if (list === undefined) return new Set(PHASES);
  const chosen = list.split(',').map((p) => p.trim());
  const unknown = chosen.filter((p) => !PHASES.includes(p));
  if (unknown.length > 0)
    throw new RangeError(`--only: unknown phase ${unknown.join(', ')} (use ${PHASES.join(',')})`);
  return new Set(chosen);
}

const prefixes = [];
let db = null;
let pool = null;
let engine = null;
let cleaning = null;

async function cleanup() {
  cleaning ??= (async () => {
    await engine?.stop().catch(() => undefined);
    await stopAllProcesses();
    for (const prefix of prefixes) await deletePrefix(redisUrl, prefix).catch(() => undefined);
    await pool?.end().catch(() => undefined);
    await db?.drop().catch((error) => log(`could not drop ${db.name}: ${error.message}`));
  })();
  return cleaning;
}

process.once('SIGINT', () => {
  log('interrupted; cleaning up');
  cleanup().finally(() => process.exit(130));
});

async function main() {
  const background = await backgroundLoad();
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  // The API schema, then this project's migrations the way an operator applies them: `migrate up`.
  db = await createWorkerDatabase('bench', { migrate: migrateWithCli });
  pool = openTestPool(db.url, 3);
  const { rows } = await pool.query('SHOW server_version');
  const machine = `${availableParallelism()} cores (nproc), ${cpuModel}; Node ${process.version}; PostgreSQL ${rows[0].server_version}`;
  const seedCount = Math.max(
    sizes.throughput + WARM_UP_MATCHES,
    LATENCY_RATE * (LATENCY_WARM_SECONDS + sizes.latencySeconds),
    sizes.backlog,
  );
  log(`seeding ${fmt(seedCount)} matches into ${db.name}`);
  const t = performance.now();
  const seeded = await seedMatches(pool, seedCount);
  log(
    `seeded ${fmt(seeded.matchIds.length)} matches, ${fmt(seeded.players)} players in ${fmt((performance.now() - t) / 1000, 1)} s`,
  );
  engine = await startEngine();
  const ctx = {
    pool,
    databaseUrl: db.url,
    redisUrl,
    engine,
    matchIds: seeded.matchIds,
    options,
    newPrefix: (phase) => {
      const prefix = benchPrefix(phase);
      prefixes.push(prefix);
      return prefix;
    },
  };
  const results = {};
  const c = options.concurrency;
  const throughputKinds = ['baseline', 'worker'].filter((k) =>
    options.only.has(k === 'worker' ? 'throughput' : 'baseline'),
  );
  const runs = { baseline: [], worker: [] };
  for (let round = 0; round < sizes.rounds; round += 1) {
    // Alternate who goes first, so drift in the machine's background load hits both alike.
    const order = round % 2 === 0 ? throughputKinds : [...throughputKinds].reverse();
    for (const kind of order) {
      log(
        `${kind}: ${fmt(sizes.throughput)} matches, concurrency ${c}, round ${round + 1} of ${sizes.rounds}`,
      );
      runs[kind].push(await measureThroughput(ctx, kind, { matches: sizes.throughput, concurrency: c }));
    }
  }
  results.baseline = medianRun(runs.baseline);
  results.throughput = medianRun(runs.worker);
  if (results.throughput) {
    results.throughput.peakRssMiB = Math.max(...runs.worker.map((run) => run.peakRssMiB));
  }
  if (runs.baseline.length > 0 && runs.worker.length > 0) {
    results.ratio = median(runs.worker.map((run, i) => run.rate / runs.baseline[i].rate));
  }
  results.runs = [...runs.baseline, ...runs.worker];
  results.sweep = [];
  if (options.only.has('throughput')) {
    for (const sc of options.sweep) {
      log(`worker sweep: concurrency ${sc}`);
      results.sweep.push(
        await measureThroughput(ctx, 'worker', { matches: sizes.throughput, concurrency: sc }),
      );
    }
    if (args['cpu-prof']) {
      const profDir = await mkdtemp(`${tmpdir()}/gd-bench-prof-`);
      log(`worker: profiled run (not in the table)`);
      results.profiled = await measureThroughput(ctx, 'worker', {
        matches: sizes.throughput,
        concurrency: c,
        cpuProfDir: profDir,
      });
      results.profile = await profileOf(profDir);
    }
  }
  if (options.only.has('latency')) {
    log(`latency: ${LATENCY_RATE}/s for ${sizes.latencySeconds} s`);
    results.latency = await measureLatency(ctx, {
      rate: LATENCY_RATE,
      seconds: sizes.latencySeconds,
      concurrency: c,
      warmSeconds: LATENCY_WARM_SECONDS,
    });
  }
  if (options.only.has('backlog')) {
    log(`backlog: ${fmt(sizes.backlog)} matches, engine down, idle window ${sizes.idleSeconds} s`);
    results.backlog = await measureBacklog(ctx, {
      matches: sizes.backlog,
      idleSeconds: sizes.idleSeconds,
      concurrency: c,
    });
  }
  if (options.only.has('client') && !args['no-client']) {
    log('risk-client benchmark');
    results.client = await runClientBench({ full: args.full });
  }

  const flags = process.argv.slice(2);
  if (args.full && !flags.includes('--full')) flags.unshift('--full');
  const command = `npm run bench${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;
  console.log(`\n## Worker benchmark (${args.full ? 'full' : 'CI'} size)\n`);
  console.log(`Command: \`${command}\`  \nMachine: ${machine}  \nBefore the run: ${background}  `);
  console.log(
    `Worker NODE_OPTIONS: \`${options.nodeOptions || '(none)'}\` (default: its image's, see the Dockerfile)\n`,
  );
  console.log(resultTable(results));
  console.log('\nDetails:');
  for (const line of detailLines(results)) console.log(`- ${line}`);
  if (results.profile) printProfile(results.profile);
  if (results.client) console.log(`\nrisk-client benchmark output:\n\n${results.client.output}`);
}

/** How busy the machine was before the benchmark touched it (other work shares these cores). */
async function backgroundLoad() {
  const before = machineTicks();
  await sleep(2000);
  const after = machineTicks();
  const busy = ((after.busy - before.busy) / (after.total - before.total)) * 100;
  const load = loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  return `machine ${fmt(busy)} % busy over 2 s, load average ${load}`;
}

/** The run with the median rate (the upper middle one for an even count); undefined for none. */
function medianRun(list) {
  return [...list].sort((a, b) => a.rate - b.rate)[Math.floor(list.length / 2)];
}

async function profileOf(dir) {
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (!file) return null;
  return { path: `${dir}/${file}`, ...(await summariseProfile(`${dir}/${file}`)) };
}

function printProfile(profile) {
  console.log(`\nCPU profile of the worker (${profile.path}, ${fmt(profile.samples)} samples), self time:`);
  console.log('\nby origin:');
  for (const o of profile.origins) console.log(`- ${fmt(o.share * 100, 1)} % ${o.name}`);
  console.log('\nby function:');
  for (const f of profile.functions) console.log(`- ${fmt(f.share * 100, 1)} % ${f.name}`);
}

try {
  await main();
} catch (error) {
  log(`failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
