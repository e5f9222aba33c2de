// The measured phases. Each starts from empty moderation tables and a fresh queue prefix, starts
// its own process under test, and stops it before returning, whatever happens.
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { deletePrefix, freePort } from '@geoduels/test-support';
import { commitCount, commitTimes, installCommitClock, removeCommitClock } from './commit-clock.mjs';
import { resetModerationTables } from './database.mjs';
import {
  cpuBetween,
  cpuMs,
  cpuSplitMs,
  machineTicks,
  peakRssMiB,
  processCpuSnapshot,
  waitFor,
} from './processes.mjs';
import { openQueue } from './queue.mjs';
import { outputTail, STOP_GRACE_MS, startBaseline, startEngine, startWorker } from './services.mjs';
import { quantile } from './stats.mjs';

/** Matches each throughput run analyses before it starts measuring. */
export const WARM_UP_MATCHES = 500;

/** The latency target; the report counts matches over it and the seconds they fell in. */
const SLOW_MS = 20;

const PROGRESS_SQL = `
SELECT count(*) FILTER (WHERE status = 'analyzed')::int AS analyzed,
       count(*) FILTER (WHERE status = 'deferred')::int AS deferred,
       COALESCE(sum(attempts) FILTER (WHERE status = 'deferred'), 0)::int AS deferred_attempts,
       count(*) FILTER (WHERE status NOT IN ('analyzed', 'deferred'))::int AS other,
       extract(epoch FROM min(finished_at) FILTER (WHERE status = 'analyzed'))::float8 * 1000 AS first_ms,
       extract(epoch FROM max(finished_at) FILTER (WHERE status = 'analyzed'))::float8 * 1000 AS last_ms
FROM risk_analysis_runs`;

// What a throughput run stored, as counts and a digest of every signal's deterministic columns and
// of its review notification (its key's form and its payload but the id and time; ids and times
// differ between runs), so the baseline and the worker can be shown to do the same work.
const STORED_SQL = `
SELECT (SELECT count(*) FROM moderation_signals)::int AS signals,
       (SELECT count(*) FROM notification_outbox)::int AS outbox,
       (SELECT md5(string_agg(concat_ws('|', s.subject_user_id, s.match_id, s.signal_type, s.severity,
                                        s.evidence_strength, s.detector_key, s.detector_version, s.reason_code, s.score,
                                        s.recommended_queue, s.payload_json::text, o.type,
                                        o.dedupe_key = 'moderation_signal:' || s.id || ':queued',
                                        (o.payload_json - 'signalId' - 'occurredAt')::text), ','
                              ORDER BY s.match_id, s.subject_user_id, s.detector_key, s.reason_code))
        FROM moderation_signals s LEFT JOIN notification_outbox o ON o.payload_json->>'signalId' = s.id::text) AS digest`;

/**
 * PostgreSQL processes that work for the benchmark: its database's backends, and the shared
 * background processes (WAL writer, checkpointer, ...). Other databases' backends are other work.
 */
async function benchPostgresPids(ctx) {
  const { rows } = await ctx.pool.query(
    `SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() OR (datname IS NULL AND backend_type <> 'client backend')`,
  );
  return new Set(rows.map((row) => row.pid));
}

/** Jobs not finished yet (Redis counters only, cheap); throws when the process died or a job failed. */
async function pendingJobs(queue, proc) {
  if (proc.exitState !== undefined) throw new Error(`${proc.name} exited:\n${outputTail(proc)}`);
  const counts = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'paused', 'failed');
  if (counts.failed > 0) {
    const [failed] = await queue.getJobs(['failed'], 0, 0);
    throw new Error(`${proc.name}: job ${failed?.id} failed: ${failed?.failedReason}`);
  }
  return counts.wait + counts.prioritized + counts.active + counts.delayed + counts.paused;
}

/** The runs table's view; throws when a match ended other than analysed (or deferred). */
async function runSummary(ctx) {
  const { rows } = await ctx.pool.query(PROGRESS_SQL);
  const row = rows[0];
  if (row.other > 0) {
    const { rows: bad } = await ctx.pool.query(
      `SELECT status, last_failure FROM risk_analysis_runs WHERE status NOT IN ('analyzed', 'deferred') LIMIT 3`,
    );
    throw new Error(`${row.other} matches ended other than analysed, e.g. ${JSON.stringify(bad)}`);
  }
  return row;
}

/**
 * Waits until `expected` matches are analysed. Polls the queue's counters and reads the database
 * only once the queue is empty, so the measurement itself adds almost no load to PostgreSQL.
 */
async function waitAnalysed(ctx, q, proc, expected, timeoutMs) {
  return waitFor(
    `${proc.name}: ${expected} matches analysed`,
    async () => {
      if ((await pendingJobs(q.queue, proc)) > 0) return null;
      const row = await runSummary(ctx);
      return row.analyzed >= expected ? row : null;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

function withGone(used, windowMs, machine0, machine1) {
  const pct = Object.fromEntries(Object.entries(used).map(([k, ms]) => [k, (ms / windowMs) * 100]));
  const machinePct =
    ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 100 * availableParallelism();
  const seen = Object.values(pct).reduce((sum, v) => sum + v, 0);
  return { ...pct, gone: Math.max(0, machinePct - seen) };
}

/** Runs `fn(queue)` against a fresh prefix with a process from `start(prefix)`; cleans both up. */
async function withProcess(ctx, phase, start, fn) {
  await resetModerationTables(ctx.pool);
  const prefix = ctx.newPrefix(phase);
  const proc = await start(prefix);
  const q = openQueue(ctx.redisUrl, prefix);
  try {
    return await fn(proc, q);
  } finally {
    await q.close();
    await proc.stop(STOP_GRACE_MS);
    await deletePrefix(ctx.redisUrl, prefix);
  }
}

/**
 * Measures 1, 2 and 5 of the results table: enqueue `matches` jobs as fast as Redis takes them, then wait until every match
 * is analysed; the rate is matches / (last commit - first enqueue).
 */
export async function measureThroughput(ctx, kind, { matches, concurrency, cpuProfDir }) {
  const ids = ctx.matchIds.slice(0, matches);
  const settings = { engineUrl: ctx.engine.url, concurrency, cpuProfDir };
  const start = (prefix) =>
    kind === 'worker'
      ? startWorker(ctx, { ...settings, prefix })
      : startBaseline(ctx, { ...settings, prefix });
  // Warm-up on the oldest matches (never in a measured slice): a live worker runs warm, so JIT and
  // connection set-up stay out of the figures; their rows are removed before the measured run.
  const warm = ctx.matchIds.slice(Math.max(matches, ctx.matchIds.length - WARM_UP_MATCHES));
  return withProcess(ctx, `${kind}-c${concurrency}`, start, async (proc, q) => {
    await q.addAll(warm);
    await waitAnalysed(ctx, q, proc, warm.length, 60_000);
    await resetModerationTables(ctx.pool);
    const lines0 = proc.logs.raw.length;
    const batches0 = await batchTotals(proc);
    const split0 = cpuSplitMs(proc.pid);
    const snapshot0 = processCpuSnapshot();
    const machine0 = machineTicks();
    const t0 = Date.now();
    await q.addAll(ids);
    const enqueueSeconds = (Date.now() - t0) / 1000;
    const done = await waitAnalysed(ctx, q, proc, ids.length, Math.max(60_000, ids.length * 20));
    const split1 = cpuSplitMs(proc.pid);
    const kernelMs = split1.system - split0.system;
    const cpu = split1.user - split0.user + kernelMs;
    const machine1 = machineTicks();
    const used = cpuBetween(
      snapshot0,
      processCpuSnapshot(),
      { [kind]: proc.pid, engine: ctx.engine.process.pid, driver: process.pid },
      await benchPostgresPids(ctx),
    );
    const seconds = (done.last_ms - t0) / 1000;
    const windowMs = Date.now() - t0;
    const { rows } = await ctx.pool.query(STORED_SQL);
    const batches1 = await batchTotals(proc);
    return {
      kind,
      meanBatch: batches1 && meanBatch(batches0, batches1),
      concurrency,
      matches: ids.length,
      seconds,
      enqueueSeconds,
      rate: ids.length / seconds,
      cpuMsPer1000: (cpu / ids.length) * 1000,
      kernelShare: kernelMs / cpu,
      peakRssMiB: peakRssMiB(proc.pid),
      processCpuPct: (cpu / (seconds * 1000)) * 100,
      // Percent of one core per process group over the whole wait (polling included); `gone` is
      // machine busy time no live process accounts for (processes that started and ended meanwhile).
      cpuPctByGroup: withGone(used, windowMs, machine0, machine1),
      // CPU milliseconds per analysed match, per process group: the per-match budget of the cores.
      cpuMsPerMatch: Object.fromEntries(Object.entries(used).map(([k, ms]) => [k, ms / ids.length])),
      machineBusyPct: ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 100,
      signalsPerMatch: rows[0].signals / ids.length,
      storedDigest: rows[0].digest,
      outboxRows: rows[0].outbox,
      logLines: proc.logs.raw.length - lines0,
    };
  });
}

/**
 * Measure 3 of the results table: enqueue at a steady `rate` for `warmSeconds + seconds`, each job the way the API enqueues
 * it; latency = commit time recorded in PostgreSQL - enqueue call time, over the last `seconds`
 * only (a live worker runs warm: JIT, prepared statements and pools are not part of the figure).
 */
export async function measureLatency(ctx, { rate, seconds, warmSeconds, concurrency }) {
  const warm = ctx.matchIds.slice(0, rate * warmSeconds);
  const ids = ctx.matchIds.slice(warm.length, warm.length + rate * seconds);
  await resetModerationTables(ctx.pool);
  await installCommitClock(ctx.pool);
  const start = (prefix) => startWorker(ctx, { prefix, engineUrl: ctx.engine.url, concurrency });
  try {
    return await withProcess(ctx, 'latency', start, async (proc, q) => {
      const cpu0 = cpuMs(proc.pid);
      const { enqueuedAt, achievedRate } = await paced(q, [...warm, ...ids], rate);
      const total = warm.length + ids.length;
      await waitFor(
        'paced matches committed',
        async () => (await pendingJobs(q.queue, proc)) === 0 && (await commitCount(ctx.pool)) >= total,
        { timeoutMs: 60_000 + (warmSeconds + seconds) * 2_000, intervalMs: 100 },
      );
      const cpu = cpuMs(proc.pid) - cpu0;
      const committed = await commitTimes(ctx.pool);
      const latencies = ids.map((id) => committed.get(id) - enqueuedAt.get(id));
      // Which seconds of the run had a slow match: a few bad seconds point at the machine (a noisy
      // neighbour, a checkpoint), slow matches in every second point at the worker.
      const slowSeconds = new Set();
      latencies.forEach((ms, i) => {
        if (ms > SLOW_MS) slowSeconds.add(Math.floor(i / rate));
      });
      return {
        rate,
        achievedRate,
        matches: ids.length,
        p50: quantile(latencies, 0.5),
        p90: quantile(latencies, 0.9),
        p99: quantile(latencies, 0.99),
        slowShare: latencies.filter((ms) => ms > SLOW_MS).length / latencies.length,
        slowSeconds: slowSeconds.size,
        seconds,
        max: Math.max(...latencies),
        processCpuPct: (cpu / ((warmSeconds + seconds) * 1000)) * 100,
      };
    });
  } finally {
    await removeCommitClock(ctx.pool);
  }
}

/** Adds one job per id every 1000/rate ms on an absolute schedule (no drift); bounded by ids. */
async function paced(q, ids, rate) {
  const interval = 1000 / rate;
  const enqueuedAt = new Map();
  const adds = [];
  const t0 = performance.now();
  for (let i = 0; i < ids.length; i += 1) {
    const wait = t0 + i * interval - performance.now();
    if (wait >= 1) await sleep(wait);
    enqueuedAt.set(ids[i], performance.timeOrigin + performance.now());
    adds.push(q.add(ids[i]));
  }
  await Promise.all(adds);
  const elapsed = (performance.now() - t0) / 1000;
  return { enqueuedAt, achievedRate: ids.length > 1 ? (ids.length - 1) / elapsed : Number.NaN };
}

/**
 * Measures 4 and 6 of the results table: with the engine down (nothing listening on its port), enqueue the backlog, wait
 * for the breaker to open, measure the worker's CPU over `idleSeconds`; then start the engine on
 * that port and time until every match is analysed.
 */
export async function measureBacklog(ctx, { matches, idleSeconds, concurrency }) {
  const ids = ctx.matchIds.slice(0, matches);
  const port = await freePort();
  const engineUrl = `http://127.0.0.1:${port}`;
  const start = (prefix) => startWorker(ctx, { prefix, engineUrl, concurrency });
  let engine = null;
  try {
    return await withProcess(ctx, 'backlog', start, async (proc, q) => {
      const t0 = Date.now();
      await q.addAll(ids);
      const enqueueSeconds = (Date.now() - t0) / 1000;
      await waitFor('the breaker to open', () => breakerOpen(proc.healthUrl), {
        timeoutMs: 60_000,
        intervalMs: 200,
      });
      const counts0 = await q.queue.getJobCounts('wait', 'prioritized', 'delayed', 'active', 'paused');
      const runs0 = await runSummary(ctx);
      const lines0 = proc.logs.raw.length;
      const cpu0 = cpuMs(proc.pid);
      const w0 = performance.now();
      // Bounded: one sleep per second of the window, and the window is a fixed length.
      for (let s = 0; s < idleSeconds; s += 1) await sleep(1000);
      const idleCpuMs = cpuMs(proc.pid) - cpu0;
      const idleWindowMs = performance.now() - w0;
      const runs1 = await runSummary(ctx);
      const idleLogLines = proc.logs.raw.length - lines0;

      engine = await startEngine(port);
      const back = Date.now();
      const cpu1 = cpuMs(proc.pid);
      const snapshot0 = processCpuSnapshot();
      const machine0 = machineTicks();
      const done = await waitAnalysed(ctx, q, proc, ids.length, Math.max(120_000, ids.length * 5));
      const drainCpuMs = cpuMs(proc.pid) - cpu1;
      const used = cpuBetween(
        snapshot0,
        processCpuSnapshot(),
        { worker: proc.pid, engine: engine.process.pid, driver: process.pid },
        await benchPostgresPids(ctx),
      );
      const drainWindowMs = Date.now() - back;
      return {
        matches: ids.length,
        enqueueSeconds,
        waitingAtIdle: Object.values(counts0).reduce((sum, n) => sum + n, 0),
        deferredRunsAtIdle: runs0.deferred,
        idleDeferrals: runs1.deferred_attempts - runs0.deferred_attempts,
        idleCpuPct: (idleCpuMs / idleWindowMs) * 100,
        idleSeconds: idleWindowMs / 1000,
        idleLogLines,
        firstAnalysedSeconds: (done.first_ms - back) / 1000,
        drainSeconds: (done.last_ms - back) / 1000,
        drainCpuMsPer1000: (drainCpuMs / ids.length) * 1000,
        drainCpuPctByGroup: withGone(used, drainWindowMs, machine0, machineTicks()),
        peakRssMiB: peakRssMiB(proc.pid),
      };
    });
  } finally {
    await engine?.stop();
  }
}

/**
 * The worker's moderation_db_batch_size sums and counts by statement, from /metrics; null for the
 * baseline (no health server) or a worker build without the metric.
 */
async function batchTotals(proc) {
  if (!proc.healthUrl) return null;
  const response = await fetch(proc.healthUrl.replace(/\/health$/, '/metrics'));
  const text = await response.text();
  const totals = {};
  for (const [, part, statement, value] of text.matchAll(
    /^moderation_db_batch_size_(sum|count)\{statement="(\w+)"\} (\S+)$/gm,
  )) {
    totals[statement] ??= { sum: 0, count: 0 };
    totals[statement][part] = Number(value);
  }
  return Object.keys(totals).length > 0 ? totals : null;
}

/** Mean matches per batched statement between two batchTotals readings. */
function meanBatch(before, after) {
  return Object.fromEntries(
    Object.entries(after).map(([statement, t]) => {
      const b = before?.[statement] ?? { sum: 0, count: 0 };
      return [statement, (t.sum - b.sum) / Math.max(1, t.count - b.count)];
    }),
  );
}

/** True when the worker's /health reports the engine's breaker open. */
async function breakerOpen(healthUrl) {
  try {
    const response = await fetch(healthUrl, { signal: AbortSignal.timeout(2000) });
    const body = await response.json();
    const engine = body.riskEngine ?? body.components?.riskEngine ?? body.checks?.riskEngine;
    const state = typeof engine === 'string' ? engine : engine?.state;
    return state === 'open';
  } catch {
    return false;
  }
}
