// The fake risk engine in a process of its own, so the worker's CPU figures are the worker's.
// Zero added latency, default detectors (~3 signals per benchmark match), no request recording
// (100,000 recorded bodies would only measure the fake). Prints `ready <url>`; SIGTERM stops it.
import { startFakeRiskEngine } from '@geoduels/fake-risk-engine';

const port = Number(process.env.PORT ?? 0);
const engine = await startFakeRiskEngine({ port, record: false });
console.log(`ready ${engine.url}`);

process.once('SIGTERM', async () => {
  await engine.stop();
  process.exit(0);
});
