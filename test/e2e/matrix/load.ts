// Load with faults: E2E_LOAD_MATCHES matches (default 2,000) enqueued while the fake
// engine, running as its own process, flaps (slow, 5xx, down, past the timeout, resets), and one of
// two workers is SIGKILLed and restarted. At the end every match has exactly one completed
// analysis, the stored signals equal what the engine's deterministic detectors return, every queued
// signal has exactly one outbox row, and readiness never dropped (Redis and PostgreSQL stayed up).
// It runs inside the concurrent fault matrix so its CPU-heavy minute overlaps the SIGKILL test's wait.
import type { FaultSpec } from '@geoduels/fake-risk-engine';
import {
  pollUntil,
  startFakeEngineProcess,
  startWorker,
  type WorkerEnv,
  type WorkerProcess,
} from '@geoduels/test-support';
import { expect, it } from 'vitest';
import { metricSum, scrapeMetrics } from '../../support/metrics.js';
import { expectExactlyOnce, runStatusCounts, waitForRuns } from '../../support/observe.js';
import { ReadinessMonitor } from '../../support/readiness-monitor.js';
import { createScenario } from '../../support/scenario.js';
import { findSecretLeaks, testSecrets } from '../../support/secrets.js';
import { seedRankedMatches } from '../../support/seed.js';

/** Matches in the load run; the CI default fits the 5-minute budget of the whole suite. */
export const LOAD_MATCHES = Number(process.env.E2E_LOAD_MATCHES ?? 2_000);
/** Per-test bound for the load run (it shares 2 cores with the rest of the matrix). */
const LOAD_TIMEOUT_MS = 240_000;

/** The flapping schedule: each step fires once the given share of matches is analysed. */
const FLAPS: { at: number; label: string; faults: FaultSpec[] }[] = [
  { at: 0.05, label: 'slow burst', faults: [{ kind: 'latency', ms: 300, times: 200 }] },
  { at: 0.15, label: '5xx burst', faults: [{ kind: 'status', code: 503, times: 40 }] },
  { at: 0.3, label: 'down', faults: [{ kind: 'down', forMs: 1_500 }] },
  { at: 0.45, label: 'slow past the timeout', faults: [{ kind: 'latency', ms: 1_500, times: 20 }] },
  {
    at: 0.6,
    label: 'resets and 5xx',
    faults: [
      { kind: 'reset', times: 10 },
      { kind: 'status', code: 500, times: 20 },
    ],
  },
];
const KILL_AT = 0.4;

/** Registers the load-with-faults test. */
export function loadTests(): void {
  it(
    `analyses ${LOAD_MATCHES} matches exactly once while the engine flaps and a worker is SIGKILLed and restarted`,
    async () => {
      const secrets = testSecrets();
      const [scenario, engine] = await Promise.all([
        createScenario({ label: 'load' }),
        startFakeEngineProcess({ token: secrets.engineToken }),
      ]);
      const workers: WorkerProcess[] = [];
      const monitors: ReadinessMonitor[] = [];
      try {
        const seeded = (await seedRankedMatches(scenario.pool, { matches: LOAD_MATCHES, seed: 81 })).matches;
        const env: WorkerEnv = scenario.workerEnv({
          RISK_ENGINE_URL: engine.url,
          RISK_ENGINE_TOKEN: secrets.engineToken,
          RISK_ENGINE_TIMEOUT: '1s',
          MODERATION_WORKER_CONCURRENCY: '16',
          POSTGRES_MAX_CONNS: '6',
        });
        const steady = await startWorker(env, 'load-steady');
        let victim = await startWorker(env, 'load-victim');
        workers.push(steady, victim);
        await Promise.all([steady.waitReady(), victim.waitReady()]);
        monitors.push(new ReadinessMonitor(`${steady.baseUrl}/health/ready`, 200).start());

        const ids = seeded.map((m) => m.matchId);
        await scenario.enqueue(ids);
        const analysed = async () => (await runStatusCounts(scenario.pool)).analyzed ?? 0;

        for (const step of [...FLAPS, { at: KILL_AT, label: 'kill', faults: [] }].sort(
          (a, b) => a.at - b.at,
        )) {
          await pollUntil(async () => (await analysed()) >= step.at * LOAD_MATCHES, {
            description: `${step.at * 100}% analysed before "${step.label}"`,
            timeoutMs: 90_000,
            intervalMs: 200,
          });
          if (step.label === 'kill') {
            victim.signal('SIGKILL');
            await victim.exited;
            victim = await startWorker(env, 'load-victim-restarted');
            workers.push(victim);
            await victim.waitReady();
            monitors.push(new ReadinessMonitor(`${victim.baseUrl}/health/ready`, 200).start());
          } else {
            // The control endpoint is itself down during a "down" fault; retry until it answers.
            await pollUntil(() => engine.addFaults(step.faults).then(() => true), {
              description: `fault "${step.label}" accepted`,
              timeoutMs: 10_000,
            });
          }
        }

        await waitForRuns(
          scenario.pool,
          ids,
          (r) => r.status === 'analyzed',
          'every match analysed',
          150_000,
        );
        // A job completes just after its run row is written: wait for the queue to catch up.
        await pollUntil(
          async () => (await scenario.queue.getJobCounts('completed')).completed === LOAD_MATCHES,
          {
            description: 'every job completed',
          },
        );
        const counts = await scenario.queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed');
        expect(counts).toEqual({ completed: LOAD_MATCHES, failed: 0, active: 0, wait: 0, delayed: 0 });

        const { expected, audit } = await expectExactlyOnce(scenario.pool, seeded, ids);

        // Those exact rows came from shared statements: under load the steady worker's facts reads
        // and writes each served several matches on average.
        const samples = (await scrapeMetrics(`${steady.baseUrl}/metrics`)).samples;
        const perStatement: Record<string, number> = {};
        for (const statement of ['facts', 'store']) {
          const matches = metricSum(samples, 'moderation_db_batch_size_sum', { statement });
          const statements = metricSum(samples, 'moderation_db_batch_size_count', { statement });
          expect(statements, `${statement} statements`).toBeGreaterThan(0);
          perStatement[statement] = matches / statements;
          expect(perStatement[statement], `${statement}: matches per statement`).toBeGreaterThan(1.5);
        }

        await Promise.all(monitors.map((m) => m.stop()));
        expect(monitors.flatMap((m) => m.notReady())).toEqual([]);
        // The engine really flapped: every fault was used up, and failures were retried.
        expect(await engine.faults()).toEqual([]);
        expect(await engine.requestCount()).toBeGreaterThan(LOAD_MATCHES);
        const logs = Object.fromEntries(workers.map((w, i) => [`${w.name}#${i}`, w.logs.text()]));
        expect(
          findSecretLeaks({ ...logs, engine: engine.process.logs.text() }, [secrets.engineToken]),
        ).toEqual([]);
        console.log(
          JSON.stringify({
            matches: LOAD_MATCHES,
            signals: expected.length,
            outbox: audit.outboxRows,
            runs: await runStatusCounts(scenario.pool),
            matchesPerStatement: perStatement,
          }),
        );
      } finally {
        await Promise.all(monitors.map((m) => m.stop()));
        await Promise.allSettled([...workers.map((w) => w.stop()), engine.stop()]);
        await scenario.close();
      }
    },
    LOAD_TIMEOUT_MS,
  );
}
