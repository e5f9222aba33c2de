// Fault-matrix row "duplicate enqueue, redelivery, many replicas": three worker processes on one
// queue; every match enqueued twice, then a batch re-enqueued by the operator command. One signal
// row per dedupe key, one outbox row per queued signal, one webhook delivery per outbox row.
import { pollUntil, runWorkerCli } from '@geoduels/test-support';
import { expect, it } from 'vitest';
import { metricSum, scrapeMetrics } from '../../support/metrics.js';
import { deliveryReport, expectExactlyOnce, runsByMatch, waitForRuns } from '../../support/observe.js';
import { seedRankedMatches } from '../../support/seed.js';
import { openWorld } from '../../support/world.js';

const MATCHES = 300;
const REDELIVERED = 50;

/** Registers the tests of this group (replicas and redelivery). */
export function replicaTests(): void {
  it('three replicas, duplicate enqueues and a redelivered batch: exactly one signal row per key and one notification per queued signal', async () => {
    const world = await openWorld({ label: 'replicas' });
    try {
      const { scenario, webhook } = world;
      const replicas = [
        world.worker,
        await world.startReplica('replica-2'),
        await world.startReplica('replica-3'),
      ];
      const seeded = (await seedRankedMatches(scenario.pool, { matches: MATCHES, seed: 71 })).matches;
      const ids = seeded.map((m) => m.matchId);
      await Promise.all([scenario.enqueue(ids), scenario.enqueue([...ids].reverse())]);
      await waitForRuns(scenario.pool, ids, (r) => r.status === 'analyzed', 'all analysed', 100_000);
      // Enqueued twice, one job per match (the job id is the match's).
      await pollUntil(async () => (await scenario.queue.getJobCounts('completed')).completed === MATCHES, {
        description: 'one completed job per match',
      });
      expect(await scenario.queue.getJobCounts('completed', 'failed', 'wait', 'delayed', 'active')).toEqual({
        completed: MATCHES,
        failed: 0,
        wait: 0,
        delayed: 0,
        active: 0,
      });

      const again = ids.slice(0, REDELIVERED);
      const before = await runsByMatch(scenario.pool, again);
      const requeue = await runWorkerCli(['enqueue', ...again], world.env);
      expect(requeue.exit.code).toBe(0);
      expect(requeue.logs.lines.map((l) => l.outcome)).toEqual(again.map(() => 'queued'));
      await waitForRuns(
        scenario.pool,
        again,
        (r) => r.status === 'analyzed' && r.attempts > (before.get(r.match_id)?.attempts ?? 0),
        're-analysed',
      );

      await expectExactlyOnce(scenario.pool, seeded, ids);
      await pollUntil(
        async () =>
          (await scenario.pool.query('SELECT 1 FROM notification_outbox WHERE sent_at IS NULL')).rowCount ===
          0,
        { description: 'every notification sent', timeoutMs: 60_000 },
      );
      // Each queued signal reached the webhook (delivery is at-least-once; the outbox is exactly-once).
      expect(await deliveryReport(scenario.pool, webhook.received)).toEqual({ missing: [], unexpected: [] });

      // The work really was shared: the replicas' analysed counts add up, and more than one took part.
      const analysedPerReplica = () =>
        Promise.all(
          replicas.map(async (r) =>
            metricSum(
              (await scrapeMetrics(`${r.baseUrl}/metrics`)).samples,
              'moderation_analysis_jobs_total',
              {
                outcome: 'analyzed',
              },
            ),
          ),
        );
      const total = async () => (await analysedPerReplica()).reduce((a, b) => a + b, 0);
      await pollUntil(async () => (await total()) >= MATCHES + REDELIVERED, {
        description: 'every analysis counted',
      });
      const analysed = await analysedPerReplica();
      expect(analysed.reduce((a, b) => a + b, 0)).toBe(MATCHES + REDELIVERED);
      expect(analysed.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
      expect(world.readiness.notReady()).toEqual([]);
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  });
}
