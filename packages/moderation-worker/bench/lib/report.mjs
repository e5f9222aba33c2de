// The benchmark's one results table, in Markdown so it pastes into docs/performance.md as printed.
import { fmt } from './stats.mjs';

const TARGETS = {
  throughput: 1500,
  ratio: 4,
  p99Ms: 20,
  drainSeconds: 90,
  rssMiB: 150,
  idleCpuPct: 2,
};

const verdict = (ok) => (ok ? 'met' : '**missed**');

/** Markdown rows for every measured item; an item not measured says so instead of a number. */
export function resultTable(r) {
  const rows = [['#', 'measure', 'result', 'target', 'verdict']];
  const t = r.throughput;
  const b = r.baseline;
  if (t) {
    rows.push([
      '1',
      `throughput, ${fmt(t.matches)} matches, concurrency ${t.concurrency}${rounds(r.runs, 'worker')}`,
      `${fmt(t.rate)} matches/s (${fmt(t.seconds, 1)} s)`,
      `>= ${fmt(TARGETS.throughput)}/s`,
      verdict(t.rate >= TARGETS.throughput),
    ]);
  }
  if (t && b) {
    const ratio = r.ratio;
    rows.push([
      '2',
      `baseline (production pattern: per-player queries, tx per signal), same ${fmt(b.matches)} matches${rounds(r.runs, 'baseline')}`,
      `${fmt(b.rate)} matches/s; ours / baseline = ${fmt(ratio, 2)}x; stored rows ${new Set(r.runs.map((run) => run.storedDigest)).size === 1 ? 'identical' : '**differ**'}`,
      `>= ${TARGETS.ratio}x`,
      verdict(ratio >= TARGETS.ratio),
    ]);
  }
  const l = r.latency;
  if (l) {
    rows.push([
      '3',
      `latency enqueue -> committed at ${l.rate}/s (achieved ${fmt(l.achievedRate)}/s), ${fmt(l.matches)} matches`,
      `p50 ${fmt(l.p50, 1)} ms, p99 ${fmt(l.p99, 1)} ms (max ${fmt(l.max, 1)})`,
      `p99 <= ${TARGETS.p99Ms} ms`,
      verdict(l.p99 <= TARGETS.p99Ms),
    ]);
  }
  const d = r.backlog;
  if (d) {
    // The target is for 100,000 matches; a smaller backlog is dominated by the breaker's reset
    // delay, so it gets no verdict rather than a scaled one.
    const full = d.matches >= 100_000;
    const rate = d.matches / (d.drainSeconds - d.firstAnalysedSeconds);
    rows.push([
      '4',
      `backlog drain, ${fmt(d.matches)} deferred matches, engine back`,
      `${fmt(d.drainSeconds, 1)} s (first analysed after ${fmt(d.firstAnalysedSeconds, 1)} s, then ${fmt(rate)}/s)`,
      `<= ${TARGETS.drainSeconds} s for 100,000`,
      full ? verdict(d.drainSeconds <= TARGETS.drainSeconds) : 'n/a (CI size)',
    ]);
  }
  if (t) {
    const peak = Math.max(t.peakRssMiB, d?.peakRssMiB ?? 0);
    rows.push([
      '5',
      'worker footprint at full throughput',
      `peak RSS ${fmt(peak, 1)} MiB; ${fmt(t.cpuMsPer1000)} CPU-ms per 1,000 matches`,
      `RSS <= ${TARGETS.rssMiB} MB`,
      verdict(peak <= TARGETS.rssMiB),
    ]);
  }
  if (d) {
    rows.push([
      '6',
      `idle while down: breaker open, ${fmt(d.waitingAtIdle)} jobs waiting, ${fmt(d.idleSeconds, 1)} s`,
      `${fmt(d.idleCpuPct, 2)} % of one core (${d.idleDeferrals} deferrals, ${d.idleLogLines} log lines)`,
      `<= ${TARGETS.idleCpuPct} %`,
      verdict(d.idleCpuPct <= TARGETS.idleCpuPct),
    ]);
  }
  if (r.client !== undefined) {
    const c = r.client;
    const summary =
      c === null
        ? 'not run: packages/risk-client/bench is missing'
        : c.throughputRatio
          ? `client/raw throughput ${c.throughputRatio}x, p99 ${c.p99Ratio}x; breaker-open fail-fast ${c.failFastPerSecond} calls/s`
          : `no ratios found (exit ${c.ok ? 'ok' : 'failed'}); output below`;
    rows.push([
      '7',
      'risk-client benchmark (`npm run bench -w @geoduels/risk-client`)',
      summary,
      '>= 0.85x, p99 <= 1.25x, >= 100,000/s',
      c?.targetsMet === undefined ? 'n/a' : verdict(c.targetsMet),
    ]);
  }
  const [head, ...body] = rows;
  return [head, head.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Details behind the table: where the cores went during each throughput run. */
export function detailLines(r) {
  const lines = [];
  for (const run of [...(r.runs ?? []), ...(r.sweep ?? []), r.profiled].filter(Boolean)) {
    lines.push(
      `${run.kind} c=${run.concurrency}${run === r.profiled ? ' (profiled)' : ''}: ${fmt(run.rate)} matches/s over ${fmt(run.seconds, 1)} s ` +
        `(enqueue took ${fmt(run.enqueueSeconds, 1)} s); CPU in % of one core: ${groups(run.cpuPctByGroup)}; ` +
        `machine busy ${fmt(run.machineBusyPct)} % of all cores; ` +
        `${fmt(run.cpuMsPer1000)} CPU-ms/1,000 (${fmt(run.kernelShare * 100)} % in the kernel); peak RSS ${fmt(run.peakRssMiB, 1)} MiB; ` +
        `${fmt(run.signalsPerMatch, 2)} signals/match, ${fmt(run.outboxRows)} outbox rows; ${run.logLines} log lines; ` +
        `CPU ms per match: ${budget(run.cpuMsPerMatch)}` +
        (run.meanBatch ? `; matches per statement: ${groups(run.meanBatch, 1)}` : ''),
    );
  }
  if (r.latency) {
    const l = r.latency;
    lines.push(
      `latency: p90 ${fmt(l.p90, 1)} ms; ${fmt(l.slowShare * 100, 2)} % of matches over 20 ms, falling in ` +
        `${l.slowSeconds} of ${l.seconds} seconds; worker CPU ${fmt(l.processCpuPct)} % of a core at ${l.rate}/s`,
    );
  }
  if (r.backlog) {
    const d = r.backlog;
    lines.push(
      `backlog: enqueue of ${fmt(d.matches)} took ${fmt(d.enqueueSeconds, 1)} s; ${fmt(d.deferredRunsAtIdle)} runs ` +
        `deferred when the breaker opened; drain used ${fmt(d.drainCpuMsPer1000)} CPU-ms/1,000; ` +
        `CPU in % of one core while draining: ${groups(d.drainCpuPctByGroup)}; peak RSS ${fmt(d.peakRssMiB, 1)} MiB`,
    );
  }
  return lines;
}

function groups(byGroup, digits) {
  return Object.entries(byGroup)
    .map(([name, value]) => `${name} ${fmt(value, digits)}`)
    .join(', ');
}

function rounds(runs, kind) {
  const n = (runs ?? []).filter((run) => run.kind === kind).length;
  return n > 1 ? ` (median of ${n} interleaved rounds)` : '';
}

function budget(byGroup) {
  return Object.entries(byGroup)
    .filter(([name]) => name !== 'other')
    .map(([name, ms]) => `${name} ${fmt(ms, 2)}`)
    .join(', ');
}
