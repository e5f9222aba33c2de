// `npm run bench -w @geoduels/risk-client`: client.analyze vs raw undici.request + JSON.parse
// against the same engine (a child process), same concurrency, interleaved rounds; then the
// breaker-open fail-fast rate. Measures the built dist, so build first.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Pool, request } from 'undici';

const dist = new URL('../dist/index.js', import.meta.url);
if (!existsSync(dist)) {
  console.error('packages/risk-client/dist is missing: run `npx turbo run build` first');
  process.exit(2);
}
const { createRiskClient, FACTS_VERSION, riskEngineConfigFromEnv } = await import(dist.href);

const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const REQUESTS_PER_ROUND = Number(process.env.BENCH_REQUESTS ?? 8_000);
const FAIL_FAST_CALLS = Number(process.env.BENCH_FAIL_FAST_CALLS ?? 500_000);
const PLAYER_A = '11111111-1111-4111-8111-111111111111';
const PLAYER_B = '22222222-2222-4222-8222-222222222222';
const MATCH_ID = '33333333-3333-4333-8333-333333333333';

// ~2 KB request: two players with recent events.
const events = Array.from({ length: 6 }, (_, i) => ({
  matchId: MATCH_ID,
  roundNumber: 5 - i,
  score: 4000 + i,
  guessMs: 8000 + i * 10,
  evidence: 0.25 * i,
  occurredAt: `2026-01-02T03:0${i}:05Z`,
}));
const analyzeRequest = {
  matchId: MATCH_ID,
  factsVersion: FACTS_VERSION,
  generatedAt: '2026-01-02T03:10:00Z',
  players: [
    { userId: PLAYER_A, currentRating: 1234, rankedGames: 77, events },
    { userId: PLAYER_B, currentRating: 987, rankedGames: 12, events },
  ],
};

const server = fork(new URL('./engine-server.mjs', import.meta.url), [PLAYER_A, PLAYER_B], {
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
const [line] = await once(server.stdout, 'data');
const { port, responseBytes } = JSON.parse(String(line));
const url = `http://127.0.0.1:${port}`;

const client = createRiskClient(
  riskEngineConfigFromEnv({
    RISK_ENGINE_URL: url,
    RISK_ENGINE_TOKEN: 'bench-token',
    RISK_ENGINE_TIMEOUT: '10s',
  }),
  {
    connections: IN_FLIGHT,
    breaker: { volumeThreshold: Number.MAX_SAFE_INTEGER },
  },
);
const pool = new Pool(url, { connections: IN_FLIGHT });

const modes = {
  client: async () => {
    const result = await client.analyze(analyzeRequest);
    if (result.status !== 'ok') throw new Error(`client: ${JSON.stringify(result)}`);
  },
  raw: async () => {
    const { statusCode, body } = await request(`${url}/v1/analyze`, {
      dispatcher: pool,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench-token' },
      body: JSON.stringify(analyzeRequest),
    });
    const parsed = JSON.parse(await body.text());
    if (statusCode !== 200 || parsed.signals.length !== 3) throw new Error('raw: bad answer');
  },
};

// Runs `total` calls with IN_FLIGHT workers; returns throughput and latency percentiles.
async function round(call, total) {
  const latencies = new Float64Array(total);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await call();
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort();
  return {
    rps: (total / elapsed) * 1000,
    p50: latencies[Math.floor(total * 0.5)],
    p99: latencies[Math.floor(total * 0.99)],
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(
  `risk-client bench: node ${process.version}, ${IN_FLIGHT} in flight, ${ROUNDS} interleaved rounds x ${REQUESTS_PER_ROUND} requests, ` +
    `request ${Buffer.byteLength(JSON.stringify(analyzeRequest))} B, response ${responseBytes} B, engine in a child process, ` +
    `load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} CPUs`,
);
await round(modes.raw, 5_000);
await round(modes.client, 5_000);

const samples = { client: [], raw: [] };
for (let r = 0; r < ROUNDS; r++) {
  // Alternate which mode goes first so drift in machine load hits both equally.
  const order = r % 2 === 0 ? ['raw', 'client'] : ['client', 'raw'];
  for (const mode of order) samples[mode].push(await round(modes[mode], REQUESTS_PER_ROUND));
}
// Each round pairs the two modes under the same machine conditions; the verdict uses the median
// of the per-round ratios, which a noisy neighbour distorts far less than a ratio of medians.
const pairRatio = (key) => median(samples.client.map((c, i) => c[key] / samples.raw[i][key]));
const summary = Object.fromEntries(
  Object.entries(samples).map(([mode, list]) => [
    mode,
    {
      rps: median(list.map((s) => s.rps)),
      p50: median(list.map((s) => s.p50)),
      p99: median(list.map((s) => s.p99)),
    },
  ]),
);

// Fail fast: trip the breaker against a port nobody listens on, then call as fast as possible.
const deadPort = await new Promise((resolve) => {
  const probe = fork(new URL('./engine-server.mjs', import.meta.url), [PLAYER_A, PLAYER_B], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  probe.stdout.once('data', (data) => {
    probe.kill('SIGTERM');
    probe.once('exit', () => resolve(JSON.parse(String(data)).port));
  });
});
const tripped = createRiskClient(
  riskEngineConfigFromEnv({ RISK_ENGINE_URL: `http://127.0.0.1:${deadPort}` }),
  {
    breaker: { volumeThreshold: 1, resetTimeoutMs: 600_000 },
  },
);
await tripped.analyze(analyzeRequest);
if (tripped.state !== 'open') throw new Error(`breaker did not open: ${tripped.state}`);
const failFastRates = [];
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  for (let i = 0; i < FAIL_FAST_CALLS; i++) {
    const result = await tripped.analyze(analyzeRequest);
    if (result.reason !== 'breaker_open') throw new Error('fail-fast: not breaker_open');
  }
  failFastRates.push((FAIL_FAST_CALLS / (performance.now() - t0)) * 1000);
}
const failFast = median(failFastRates);

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const rpsRatio = pairRatio('rps');
const p50Ratio = pairRatio('p50');
const p99Ratio = pairRatio('p99');
console.log('');
console.log('Values are medians over rounds; ratios are medians of per-round client/raw ratios.');
console.log('');
console.log('| measure | raw undici.request + JSON.parse | client.analyze | client / raw | target |');
console.log('| --- | ---: | ---: | ---: | --- |');
console.log(
  `| throughput (req/s) | ${fmt(summary.raw.rps)} | ${fmt(summary.client.rps)} | ${fmt(rpsRatio, 2)}x | >= 0.85x |`,
);
console.log(
  `| p50 latency (ms) | ${fmt(summary.raw.p50, 2)} | ${fmt(summary.client.p50, 2)} | ${fmt(p50Ratio, 2)}x | |`,
);
console.log(
  `| p99 latency (ms) | ${fmt(summary.raw.p99, 2)} | ${fmt(summary.client.p99, 2)} | ${fmt(p99Ratio, 2)}x | <= 1.25x |`,
);
console.log(`| breaker-open fail-fast (calls/s) | | ${fmt(failFast)} | | >= 100,000 |`);
console.log('');
const met = rpsRatio >= 0.85 && p99Ratio <= 1.25 && failFast >= 100_000;
console.log(met ? 'all targets met' : 'TARGETS MISSED');

await Promise.all([client.close(), tripped.close(), pool.close()]);
server.disconnect();
await once(server, 'exit');
process.exitCode = met ? 0 : 1;
