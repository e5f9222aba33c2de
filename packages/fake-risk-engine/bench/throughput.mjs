// Throughput of the built bin under a keep-alive undici pool: typical two-player matches
// (50 events each). Usage: node bench/throughput.mjs [seconds=5] [connections=16]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 16);
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

const id = (n, p) => `${String(p).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const matchId = id(1, 'aaaa');
const events = (seed) =>
  Array.from({ length: 50 }, (_, i) => ({
    matchId: i < 5 ? matchId : id(100 + Math.floor(i / 5), 'bbbb'),
    roundNumber: 5 - (i % 5),
    score: 2500 + ((i * 397 + seed) % 2000),
    guessMs: 8000 + ((i * 911 + seed * 7) % 20000),
    evidence: 0.1 + ((i * 13 + seed) % 50) / 100,
    occurredAt: new Date(Date.UTC(2026, 10, 27, 12) - i * 60000).toISOString(),
  }));
const body = JSON.stringify({
  matchId,
  factsVersion: 'match-facts/2026-01',
  generatedAt: '2026-11-27T12:05:00Z',
  players: [
    { userId: id(1, 'a11ce'), currentRating: 1040, rankedGames: 42, events: events(1) },
    { userId: id(2, 'b0b'), currentRating: 980, rankedGames: 57, events: events(2) },
  ],
});

const child = spawn(process.execPath, [bin], {
  env: { ...process.env, PORT: '0', FAKE_RISK_ENGINE_TOKEN: 'bench', FAKE_RISK_ENGINE_RECORD_LIMIT: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [line] = await once(createInterface({ input: child.stdout }), 'line');
const { url } = JSON.parse(line);
const pool = new Pool(url, { connections });
const headers = { 'content-type': 'application/json', authorization: 'Bearer bench' };

let done = 0;
let signals = 0;
let failures = 0;
const deadline = performance.now() + seconds * 1000;
async function worker() {
  while (performance.now() < deadline) {
    const res = await pool.request({ path: '/v1/analyze', method: 'POST', headers, body });
    const json = await res.body.json();
    if (res.statusCode === 200) signals += json.signals.length;
    else failures++;
    done++;
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: connections }, worker));
const elapsed = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    analyses: done,
    perSecond: Math.round(done / elapsed),
    signalsPerAnalysis: signals / done,
    failures,
  }),
);
await pool.close();
child.kill('SIGTERM');
await once(child, 'exit');
