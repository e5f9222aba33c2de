// Benchmark engine: a child process answering POST /v1/analyze with a fixed ~1 KB contract-v1 body.
// Runs apart from the measuring process so the client side is measured on its own event loop.
import { createServer } from 'node:http';

const [playerA, playerB] = process.argv.slice(2);
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
const body = Buffer.from(
  JSON.stringify({
    detectorVersion: 'bench-engine/1',
    factsVersion: 'match-facts/2026-01',
    signals: [signal(playerA, 0), signal(playerB, 1), signal(playerA, 2)],
  }),
);
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, headers);
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, responseBytes: body.length })}\n`);
});
process.on('disconnect', () => server.close(() => process.exit(0)));
process.on('SIGTERM', () => process.exit(0));
