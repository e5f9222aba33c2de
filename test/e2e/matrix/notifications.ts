// Fault-matrix rows "engine disabled" (jobs skipped, no engine traffic, reports and notifications
// unaffected) and "a webhook that hangs" (analysis and readiness unaffected, delivered once later).
import { recordPlayerReport } from '@geoduels/moderation-worker';
import { LogLevel, pollUntil } from '@geoduels/test-support';
import { expect, it } from 'vitest';
import { metricSum, scrapeMetrics } from '../../support/metrics.js';
import {
  auditOutbox,
  deliveredSignalId,
  deliveryReport,
  storedSignals,
  waitForRuns,
} from '../../support/observe.js';
import { seedRankedMatches } from '../../support/seed.js';
import { openWorld } from '../../support/world.js';

/** Registers the tests of this group (notifications and a disabled engine); call inside the matrix's concurrent describe. */
export function notificationTests(): void {
  it('engine disabled: completes every job as skipped without a warning or any engine traffic, while player reports still reach the webhook', async () => {
    const world = await openWorld({ label: 'disabled', engineDisabled: true });
    try {
      const { scenario, worker, engine, webhook } = world;
      const seeded = (await seedRankedMatches(scenario.pool, { matches: 12, seed: 41 })).matches;
      const ids = seeded.map((m) => m.matchId);
      await scenario.enqueue(ids);
      const runs = await waitForRuns(scenario.pool, ids, (r) => r.status === 'skipped_disabled', 'skipped');
      expect([...runs.values()].map((r) => r.attempts)).toEqual(ids.map(() => 1));
      await pollUntil(async () => (await scenario.queue.getJobCounts('completed')).completed === ids.length, {
        description: 'jobs completed',
      });
      expect(engine.requestCount()).toBe(0);
      expect(await storedSignals(scenario.pool, ids)).toEqual([]);
      const metrics = (await scrapeMetrics(`${worker.baseUrl}/metrics`)).samples;
      expect(metricSum(metrics, 'moderation_analysis_jobs_total', { outcome: 'skipped_disabled' })).toBe(
        ids.length,
      );

      const [reporter, reported] = seeded[0]!.playerIds;
      const report = {
        matchId: ids[0]!,
        reporterUserId: reporter,
        reportedUserId: reported,
        category: 'cheating',
      };
      const recorded = await recordPlayerReport(scenario.pool, {
        ...report,
        reason: 'teleports between rounds',
      });
      expect(recorded.status).toBe('recorded');
      expect((await recordPlayerReport(scenario.pool, report)).status).toBe('duplicate');
      await webhook.waitForCount(1);
      const signalId = (recorded as { signalId: string }).signalId;
      expect(deliveredSignalId(webhook.received[0]?.body)).toBe(signalId);
      expect(await auditOutbox(scenario.pool)).toMatchObject({ outboxRows: 1, queuedWithoutOutbox: [] });
      await pollUntil(
        async () =>
          (await scenario.pool.query('SELECT 1 FROM notification_outbox WHERE sent_at IS NOT NULL')).rowCount,
        { description: 'the report notification marked sent' },
      );
      expect(await deliveryReport(scenario.pool, webhook.received)).toEqual({ missing: [], unexpected: [] });

      // Quiet: nothing at warn level or above for a disabled engine.
      expect(worker.logs.filter((line) => (line.level ?? 0) >= LogLevel.warn)).toEqual([]);
      expect(world.readiness.notReady()).toEqual([]);
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  });

  it('a hanging webhook: matches are still analysed, the worker stays ready, and every notification is delivered once the webhook answers again', async () => {
    const world = await openWorld({ label: 'webhook_hang' });
    try {
      const { scenario, webhook } = world;
      webhook.setBehaviour({ kind: 'hang' });
      const seeded = (await seedRankedMatches(scenario.pool, { matches: 40, seed: 42 })).matches;
      const ids = seeded.map((m) => m.matchId);
      await scenario.enqueue(ids);
      await waitForRuns(scenario.pool, ids, (r) => r.status === 'analyzed', 'analysed despite the webhook');
      const audit = await auditOutbox(scenario.pool);
      expect(audit.outboxRows).toBeGreaterThan(0);
      expect(audit).toMatchObject({
        queuedWithoutOutbox: [],
        signalsWithSeveralRows: [],
        unexpectedRows: [],
      });

      // The hung POSTs time out and are rescheduled with the reason; nothing is marked sent.
      await pollUntil(
        async () =>
          (await scenario.pool.query('SELECT 1 FROM notification_outbox WHERE last_error IS NOT NULL'))
            .rowCount,
        { description: 'a timed-out delivery recorded' },
      );
      const sent = await scenario.pool.query('SELECT 1 FROM notification_outbox WHERE sent_at IS NOT NULL');
      expect(sent.rowCount).toBe(0);
      expect(webhook.received.every((r) => r.answered === 'hung')).toBe(true);

      webhook.setBehaviour({ kind: 'ok' });
      await pollUntil(
        async () =>
          (await scenario.pool.query('SELECT 1 FROM notification_outbox WHERE sent_at IS NULL')).rowCount ===
          0,
        { description: 'every notification sent after the webhook recovered', timeoutMs: 60_000 },
      );
      expect(await deliveryReport(scenario.pool, webhook.received)).toEqual({ missing: [], unexpected: [] });
      expect(world.readiness.notReady()).toEqual([]);
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  });
}
