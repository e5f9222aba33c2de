// Measure 7: the risk-client's own benchmark, run as its package defines it; its ratios are lifted
// from its Markdown table and its output is kept verbatim.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SCRIPT = `${ROOT}packages/risk-client/bench/client-bench.mjs`;
const TIMEOUT_MS = 300_000;
// The CI size runs fewer, shorter interleaved rounds; --full keeps the client benchmark's defaults.
const CI_ENV = { BENCH_ROUNDS: '4', BENCH_REQUESTS: '4000', BENCH_FAIL_FAST_CALLS: '200000' };

/**
 * Runs `npm run bench -w @geoduels/risk-client`; `null` when that benchmark does not exist.
 * Returns its output, exit status and the ratios it printed (throughput, p99, fail-fast rate).
 */
export async function runClientBench({ full }) {
  if (!existsSync(SCRIPT)) return null;
  const child = spawn('npm', ['run', '--silent', 'bench', '-w', '@geoduels/risk-client'], {
    cwd: ROOT,
    env: { ...process.env, ...(full ? {} : CI_ENV) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a timeout ends npm and the node process it started together.
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), TIMEOUT_MS);
  const code = await new Promise((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { ok: code === 0, output: output.trim(), ...parse(output) };
}

function parse(output) {
  const ratio = (label) => new RegExp(`^\\| ${label} [^\\n]*\\| ([\\d.]+)x \\|`, 'm').exec(output)?.[1];
  const failFast = /^\| breaker-open fail-fast[^|]*\|[^|]*\| ([\d,]+) \|/m.exec(output)?.[1];
  return {
    throughputRatio: ratio('throughput'),
    p99Ratio: ratio('p99 latency'),
    failFastPerSecond: failFast,
    targetsMet: output.includes('all targets met')
      ? true
      : output.includes('TARGETS MISSED')
        ? false
        : undefined,
  };
}
