// Fault-matrix rows "SIGTERM mid-job" (drained, exit 0, readiness 503 from the first moment,
// nothing lost) and "SIGKILL mid-job" (the stalled job runs again, no duplicates).
import { httpStatus, messageIncludes, pollUntil } from '@geoduels/test-support';
import { expect, it } from 'vitest';
import { expectedSignals, sortSignals } from '../../support/expected-signals.js';
import { auditOutbox, runsByMatch, storedSignals, waitForRuns } from '../../support/observe.js';
import { seedRankedMatches } from '../../support/seed.js';
import { openWorld } from '../../support/world.js';

/** Registers the tests of this group (worker process lifecycle); call inside the matrix's concurrent describe. */
export function lifecycleTests(): void {
  it('SIGTERM mid-job: readiness is 503 from the first moment of the drain, in-flight jobs finish, exit 0, nothing lost', async () => {
    const world = await openWorld({
      label: 'sigterm',
      engineTimeout: '10s',
      workerEnv: { MODERATION_WORKER_CONCURRENCY: '4' },
    });
    try {
      const { scenario, worker, engine } = world;
      await world.readiness.stop();
      const seeded = (await seedRankedMatches(scenario.pool, { matches: 12, seed: 51 })).matches;
      const ids = seeded.map((m) => m.matchId);
      // Long enough that the drain is still running when the probes look at it.
      engine.setFault({ kind: 'latency', ms: 3_000 });
      await scenario.enqueue(ids);
      await pollUntil(() => engine.requestCount() >= 4, { description: 'four jobs in flight at the engine' });

      const samples: { startedAt: number; status: number | 'unreachable' }[] = [];
      const probing = (async () => {
        while (worker.exitState === undefined) {
          const startedAt = Date.now();
          samples.push({ startedAt, status: await httpStatus(`${worker.baseUrl}/health/ready`, 1_000) });
        }
      })();
      worker.signal('SIGTERM');
      const exit = await worker.exited;
      await probing;
      expect(exit).toEqual({ code: 0, signal: null });
      // Inside the bound: the worker reports when MODERATION_DRAIN_TIMEOUT cut the drain short.
      expect(worker.logs.filter(messageIncludes('drain timeout'))).toEqual([]);

      const draining = worker.logs.lines.find(messageIncludes('draining'));
      expect(draining).toBeDefined();
      const drainStart = draining!.time as number;
      // No 200 for a probe sent after the drain began, and the drain was visible as 503 (not only
      // as a closed port) while it lasted.
      expect(samples.filter((s) => s.startedAt > drainStart && s.status === 200)).toEqual([]);
      expect(samples.some((s) => s.startedAt > drainStart && s.status === 503)).toBe(true);

      // The jobs that were in flight finished during the drain; the rest are still queued.
      const afterDrain = await runsByMatch(scenario.pool, ids);
      const analysed = [...afterDrain.values()].filter((r) => r.status === 'analyzed');
      expect(analysed.length).toBeGreaterThanOrEqual(4);
      expect(analysed.length).toBeLessThan(ids.length);
      expect((await scenario.queue.getJobCounts('active')).active).toBe(0);

      engine.clearFaults();
      await world.startReplica('sigterm-successor');
      const runs = await waitForRuns(scenario.pool, ids, (r) => r.status === 'analyzed', 'all analysed');
      expect([...runs.values()].map((r) => r.attempts)).toEqual(ids.map(() => 1));
      expect(await storedSignals(scenario.pool, ids)).toEqual(sortSignals(seeded.flatMap(expectedSignals)));
      expect(await auditOutbox(scenario.pool)).toMatchObject({
        queuedWithoutOutbox: [],
        signalsWithSeveralRows: [],
        unexpectedRows: [],
      });
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  });

  it('SIGKILL mid-job: the stalled jobs run again on another worker, with no duplicate signals or notifications', async () => {
    const world = await openWorld({
      label: 'sigkill',
      // The engine hangs until the worker is killed; nothing may time out before that.
      engineTimeout: '30s',
      workerEnv: { MODERATION_WORKER_CONCURRENCY: '4' },
    });
    try {
      const { scenario, worker, engine } = world;
      await world.readiness.stop();
      const seeded = (await seedRankedMatches(scenario.pool, { matches: 8, seed: 52 })).matches;
      const ids = seeded.map((m) => m.matchId);
      engine.setFault({ kind: 'hang' });
      await scenario.enqueue(ids);
      await pollUntil(() => engine.requestCount() >= 4, { description: 'four jobs in flight at the engine' });
      expect((await scenario.queue.getJobCounts('active')).active).toBe(4);

      worker.signal('SIGKILL');
      expect(await worker.exited).toEqual({ code: null, signal: 'SIGKILL' });
      expect((await runsByMatch(scenario.pool, ids)).size).toBe(0);

      engine.clearFaults();
      const successor = await world.startReplica('sigkill-successor');
      const runs = await waitForRuns(
        scenario.pool,
        ids,
        (r) => r.status === 'analyzed',
        'all analysed',
        110_000,
      );
      expect([...runs.values()].map((r) => r.attempts)).toEqual(ids.map(() => 1));
      expect(await storedSignals(scenario.pool, ids)).toEqual(sortSignals(seeded.flatMap(expectedSignals)));
      const audit = await auditOutbox(scenario.pool);
      expect(audit).toMatchObject({
        queuedWithoutOutbox: [],
        signalsWithSeveralRows: [],
        unexpectedRows: [],
      });
      // The four killed attempts ran again (stalled jobs taken over), the other four ran once.
      expect(engine.requestCount()).toBe(ids.length + 4);
      expect(successor.exitState).toBeUndefined();
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  });
}
