// What scrubbing the token out of an answer's parsed strings costs: JSON.parse + schema +
// normalizeAnswer of the client benchmark's 1.2 KB answer, without a token and with one, rounds
// interleaved in one process so the ratio holds on a busy machine. Run after a build:
// `node packages/risk-client/bench/normalize-bench.mjs`.
import { loadavg } from 'node:os';

const dist = new URL('../dist/index.js', import.meta.url);
const { analyzeResponseSchema, normalizeAnswer, secretRedactor } = await import(dist.href);

const PLAYER_A = '11111111-1111-4111-8111-111111111111';
const PLAYER_B = '22222222-2222-4222-8222-222222222222';
const CALLS = Number(process.env.BENCH_CALLS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);

// The same answer as bench/engine-server.mjs sends.
const signal = (subjectUserId, i) => ({
  subjectUserId,
  signalType: 'gameplay_integrity',
  detectorKey: `guess-speed-${i}`,
  detectorVersion: '2026.01.3',
  severity: i % 2 ? 'HIGH' : 'medium',
  evidenceStrength: i % 2 ? 'very_high' : 'limited',
  reasonCode: 'implausible_guess_speed',
  recommendedQueue: i % 2 === 1,
  score: 0.8125 + i / 100,
  payload: { rounds: [1, 2, 3], medianGuessMs: 812 + i, window: 50 },
  occurredAt: '2026-01-02T03:04:05Z',
});
const text = JSON.stringify({
  detectorVersion: 'bench-engine/1',
  factsVersion: 'match-facts/2026-01',
  signals: [signal(PLAYER_A, 0), signal(PLAYER_B, 1), signal(PLAYER_A, 2)],
});
const context = { playerIds: new Set([PLAYER_A, PLAYER_B]), now: new Date() };
const redact = secretRedactor('bench-token');

function microsPerAnswer(scrub) {
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) {
    normalizeAnswer(analyzeResponseSchema.parse(JSON.parse(text)), { ...context, redact: scrub });
  }
  return ((performance.now() - started) * 1000) / CALLS;
}

const plain = [];
const scrubbed = [];
for (let round = 0; round < ROUNDS; round++) {
  plain.push(microsPerAnswer(null));
  scrubbed.push(microsPerAnswer(redact));
}
const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
console.log(
  `parse + schema + normalise, ${Buffer.byteLength(text)} B answer, median of ${ROUNDS} rounds x ${CALLS}: ` +
    `no token ${median(plain).toFixed(2)} us, token scrubbed ${median(scrubbed).toFixed(2)} us, ` +
    `ratio ${(median(scrubbed) / median(plain)).toFixed(2)} (node ${process.version}, load ${loadavg()[0].toFixed(1)})`,
);
