// The worker's memory budget (docs/performance.md, Memory): peak RSS (VmHWM) of the real
// `moderation-worker run` while every engine call answers the largest body the contract allows
// (the fake engine's `max_body` fault: exactly 1 MiB, 1,000 distinct signals), at the worker's
// default concurrency, so every connection of the client's pool carries such a body at once.
//   npm run bench:max-body [-- --matches N (default 600)] [-- --concurrency N]
//   (or node packages/moderation-worker/bench/max-body-memory.mjs, after `npm run build`)

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  createWorkerDatabase,
  deletePrefix,
  migrateWithCli,
  openTestPool,
  REDIS_URL,
  stopAllProcesses,
} from '@geoduels/test-support';
import { benchLog } from './lib/cli.mjs';
import { peakRssMiB, waitFor } from './lib/processes.mjs';
import { benchPrefix, openQueue } from './lib/queue.mjs';
import { seedMatches } from './lib/seed.mjs';
import { imageNodeOptions, STOP_GRACE_MS, startEngine, startWorker } from './lib/services.mjs';
import { fmt } from './lib/stats.mjs';

const log = benchLog('max-body');

const { values: args } = parseArgs({
  options: {
    matches: { type: 'string', default: '600' },
    concurrency: { type: 'string', default: '128' },
    'batch-size': { type: 'string', default: '32' },
    // The engine's deadline: on a loaded machine 1 MiB answers can miss 750 ms and be cut off (which
    // frees their memory early); a longer one lets every body arrive and be parsed, the worse case.
    timeout: { type: 'string', default: '750ms' },
    'node-options': { type: 'string', default: imageNodeOptions() },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run bench:max-body [-- --matches 600 --concurrency 128 --batch-size 32 --node-options ...]',
  );
  process.exit(0);
}
const matches = Number(args.matches);

async function main() {
  const load = loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  const db = await createWorkerDatabase('bench_maxbody', { migrate: migrateWithCli });
  const pool = openTestPool(db.url, 3);
  const prefix = benchPrefix('max-body');
  let engine = null;
  let worker = null;
  let q = null;
  try {
    log(`seeding ${fmt(matches)} matches`);
    const { matchIds } = await seedMatches(pool, Math.max(matches, 12));
    engine = await startEngine();
    await engine.addFaults([{ kind: 'max_body' }]);
    const ctx = {
      databaseUrl: db.url,
      redisUrl: REDIS_URL,
      options: { maxConns: 10, nodeOptions: args['node-options'], workerNodeArgs: [] },
    };
    worker = await startWorker(ctx, {
      prefix,
      engineUrl: engine.url,
      concurrency: Number(args.concurrency),
      env: {
        MODERATION_DISCOVERY_ENABLED: 'false',
        MODERATION_WORKER_BATCH_SIZE: args['batch-size'],
        RISK_ENGINE_TIMEOUT: args.timeout,
      },
    });
    const idleMiB = peakRssMiB(worker.pid);
    q = openQueue(REDIS_URL, prefix);
    const t0 = Date.now();
    await q.addAll(matchIds.slice(0, matches));
    log(`enqueued ${fmt(matches)}; every answer is 1 MiB`);
    const done = await waitFor(
      'every match analysed',
      async () => {
        if (worker.exitState !== undefined)
          throw new Error(`the worker exited: ${JSON.stringify(worker.exitState)}`);
        const { rows } = await pool.query(
          `SELECT count(*) FILTER (WHERE status = 'analyzed')::int AS analyzed,
                  count(*) FILTER (WHERE status NOT IN ('analyzed', 'deferred'))::int AS other,
                  COALESCE(sum(signal_count) FILTER (WHERE status = 'analyzed'), 0)::int AS signals,
                  COALESCE(sum(attempts - 1), 0)::int AS deferrals
           FROM risk_analysis_runs`,
        );
        if (rows[0].other > 0) throw new Error(`${rows[0].other} matches ended other than analysed`);
        return rows[0].analyzed >= matches ? rows[0] : null;
      },
      { timeoutMs: Math.max(600_000, matches * 2_000), intervalMs: 500 },
    );
    const seconds = (Date.now() - t0) / 1000;
    const peak = peakRssMiB(worker.pid);
    console.log(`\n## Memory budget: every answer the largest allowed body (${fmt(matches)} matches)\n`);
    console.log(
      `Command: \`npm run bench:max-body -- ${process.argv.slice(2).join(' ')}\`  \nLoad average before: ${load}; Node ${process.version}; worker NODE_OPTIONS \`${args['node-options']}\`\n`,
    );
    console.log(
      `- ${fmt(done.analyzed)} matches analysed in ${fmt(seconds, 1)} s, ${fmt(done.signals / done.analyzed)} signals stored per match (each answer 1 MiB, 1,000 signals); ${fmt(done.deferrals)} deferrals on the way (engine timeout ${args.timeout})`,
    );
    console.log(
      `- worker peak RSS (VmHWM) ${fmt(peak, 1)} MiB (${fmt(idleMiB, 1)} MiB when ready); concurrency ${args.concurrency}, batch size ${args['batch-size']}; pod memory limit 320 MiB (infra/k3s/base/deployment.yaml)`,
    );
  } finally {
    await q?.close();
    await worker?.stop(STOP_GRACE_MS);
    await engine?.stop();
    await stopAllProcesses();
    await deletePrefix(REDIS_URL, prefix).catch(() => undefined);
    await pool.end();
    await db.drop();
  }
}

try {
  await main();
} catch (error) {
  log(`failed: ${error.stack ?? error}`);
  process.exitCode = 1;
}
