// Fault-matrix row "engine refuses connections / hangs / 5xx": the breaker opens, no job waits
// more than the timeout, matches are deferred and analysed after recovery, the worker stays ready.
// The three outages run concurrently, each in its own world (database, queue prefix, engine, worker).
// Also: a match deferred past RISK_ANALYSIS_MAX_DEFER is abandoned, and `backfill` re-runs it.
import { rankedMatchJobId } from '@geoduels/moderation-worker';
import { messageIncludes, pollUntil, runWorkerCli } from '@geoduels/test-support';
import { expect, it } from 'vitest';
import { expectedSignals, sortSignals } from '../../support/expected-signals.js';
import { metricSum, scrapeMetrics } from '../../support/metrics.js';
import { storedSignals, waitForRuns } from '../../support/observe.js';
import { seedRankedMatches } from '../../support/seed.js';
import { openWorld, type World } from '../../support/world.js';

interface Outage {
  label: string;
  seed: number;
  timeout: string;
  /** The client reasons the first failures must carry. */
  reason: string;
  inflict(world: World): Promise<void> | void;
  heal(world: World): Promise<void> | void;
}

const OUTAGES: Outage[] = [
  {
    label: 'refused',
    seed: 21,
    timeout: '2s',
    reason: 'network',
    inflict: (world) => world.engine.down(),
    heal: (world) => world.engine.up(),
  },
  {
    label: 'hang',
    seed: 22,
    timeout: '400ms',
    reason: 'timeout',
    inflict: (world) => world.engine.setFault({ kind: 'hang' }),
    heal: (world) => world.engine.clearFaults(),
  },
  {
    label: 'http5xx',
    seed: 23,
    timeout: '2s',
    reason: 'http_5xx',
    inflict: (world) => world.engine.setFault({ kind: 'status', code: 503 }),
    heal: (world) => world.engine.clearFaults(),
  },
];

/** Registers the tests of this group (engine outage: refused connections, hangs, 5xx); call inside the matrix's concurrent describe. */
export function engineOutageTests(): void {
  for (const outage of OUTAGES) {
    it(`${outage.label}: opens the breaker, defers every match within the timeout, analyses them all after recovery and stays ready throughout`, async () => {
      const world = await openWorld({ label: `outage_${outage.label}`, engineTimeout: outage.timeout });
      try {
        const { scenario, worker } = world;
        const seeded = await seedRankedMatches(scenario.pool, { matches: 8, seed: outage.seed });
        const ids = seeded.matches.map((m) => m.matchId);
        await outage.inflict(world);
        await scenario.enqueue(ids);

        await worker.logs.waitFor(messageIncludes('circuit opened'), 'breaker opened', 60_000);
        const deferred = await waitForRuns(
          scenario.pool,
          ids,
          (r) => r.status === 'deferred',
          'all deferred',
        );
        const reasons = new Set([...deferred.values()].map((r) => r.last_failure));
        expect(reasons.has(outage.reason)).toBe(true);
        expect([...reasons].every((r) => r === outage.reason || r === 'breaker_open')).toBe(true);
        expect(await storedSignals(scenario.pool, ids)).toEqual([]);
        // Nothing is stuck on the engine: the jobs settle as delayed or held back by the rate limit
        // (a job hung on the engine would stay active for good).
        await pollUntil(async () => (await scenario.queue.getJobCounts('active')).active === 0, {
          description: 'no job left active while the engine is out',
        });

        const metrics = (await scrapeMetrics(`${worker.baseUrl}/metrics`)).samples;
        expect(
          metricSum(metrics, 'moderation_risk_engine_breaker_transitions_total', { to: 'open' }),
        ).toBeGreaterThan(0);
        // "No job waits more than the timeout": every deferred attempt finished inside the 5 s
        // bucket (timeouts here are 0.4-2 s; the margin is for a noisy machine, not for a hang).
        const count = metricSum(metrics, 'moderation_analysis_duration_seconds_count', {
          outcome: 'deferred',
        });
        const fast = metricSum(metrics, 'moderation_analysis_duration_seconds_bucket', {
          outcome: 'deferred',
          le: '5',
        });
        expect(count).toBeGreaterThanOrEqual(ids.length);
        expect(fast).toBe(count);

        await outage.heal(world);
        await waitForRuns(
          scenario.pool,
          ids,
          (r) => r.status === 'analyzed',
          'analysed after recovery',
          90_000,
        );
        expect(await storedSignals(scenario.pool, ids)).toEqual(
          sortSignals(seeded.matches.flatMap(expectedSignals)),
        );
        await worker.logs.waitFor(messageIncludes('circuit closed'), 'breaker closed');

        await world.readiness.stop();
        expect(world.readiness.samples.length).toBeGreaterThan(10);
        expect(world.readiness.notReady()).toEqual([]);
        expect(await world.secretLeaks()).toEqual([]);
      } finally {
        await world.close();
      }
    });
  }

  it('abandons a match after the maximum deferral with its reason, and the backfill command re-runs it (and a lost enqueue) once the engine is back', async () => {
    const world = await openWorld({
      label: 'abandon_backfill',
      workerEnv: { RISK_ANALYSIS_MAX_DEFER: '1s' },
    });
    try {
      const { scenario, worker, engine } = world;
      const seeded = await seedRankedMatches(scenario.pool, { matches: 3, seed: 24 });
      const ids = seeded.matches.map((m) => m.matchId);
      const enqueued = ids.slice(0, 2);
      await engine.down();
      // The third match is never enqueued: the API lost it; backfill must find it anyway.
      await scenario.enqueue(enqueued);

      const abandoned = await waitForRuns(
        scenario.pool,
        enqueued,
        (r) => r.status === 'abandoned',
        'abandoned',
      );
      expect([...abandoned.values()].map((r) => r.last_failure)).toEqual(['network', 'network']);
      for (const id of enqueued) {
        await pollUntil(async () => (await scenario.queue.getJob(rankedMatchJobId(id)))?.failedReason, {
          description: `job of ${id} failed`,
        });
        const job = await scenario.queue.getJob(rankedMatchJobId(id));
        expect(job?.failedReason).toMatch(/abandoned after the maximum deferral; last reason network/);
      }
      await worker.logs.waitFor(messageIncludes('abandoned'), 'abandon line');

      await engine.up();
      const backfill = await runWorkerCli(['backfill'], world.env);
      expect(backfill.exit.code).toBe(0);
      expect(backfill.logs.lines).toContainEqual({ queued: 3, alreadyPending: 0 });
      await waitForRuns(
        scenario.pool,
        ids,
        (r) => r.status === 'analyzed',
        'analysed after backfill',
        90_000,
      );
      expect(await storedSignals(scenario.pool, ids)).toEqual(
        sortSignals(seeded.matches.flatMap(expectedSignals)),
      );
      expect(world.readiness.notReady()).toEqual([]);
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  });
}
