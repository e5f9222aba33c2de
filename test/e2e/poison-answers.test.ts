// Poison answers (issue 13): schema-valid engine answers that PostgreSQL cannot store as sent (a
// year-0000 time, lone surrogates, NUL in the top-level detectorVersion or a payload key). Each one
// must settle its match exactly once: one engine call, no retry, an analysed run row, the repaired
// signal stored and its review notification delivered, and `backfill` leaves the match alone.
// Real worker bin, real PostgreSQL and Redis, the fake engine over loopback.
import { POISON_DETECTOR_KEY, POISON_VARIANTS, type PoisonVariant } from '@geoduels/fake-risk-engine';
import { rankedMatchJobId } from '@geoduels/moderation-worker';
import { pollUntil, runWorkerCli, stopAllProcesses } from '@geoduels/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { auditOutbox, queueCounts, runsByMatch, waitForRuns } from '../support/observe.js';
import { seedRankedMatches } from '../support/seed.js';
import { openWorld } from '../support/world.js';

afterAll(stopAllProcesses);

interface PoisonRow {
  signal_type: string;
  reason_code: string;
  detector_version: string | null;
  payload_json: unknown;
  occurred_at: Date;
  run_detector_version: string | null;
}

// What each poison must have become once stored (the client's repairs; see packages/risk-client/README.md).
const STORED: Record<PoisonVariant, Partial<PoisonRow> & { occurredNow?: true }> = {
  zero_year_time: { reason_code: 'zero_year_time', occurredNow: true },
  past_year_9999_time: { reason_code: 'past_year_9999_time', occurredNow: true },
  lone_surrogate_reason: { reason_code: 'lone_surrogate_\ufffd_reason' },
  lone_surrogate_type: { reason_code: 'lone_surrogate_type', signal_type: 'gameplay_\ufffd' },
  lone_surrogate_payload: {
    reason_code: 'lone_surrogate_payload',
    payload_json: { note: 'bad \ufffd text', ok: 1 },
  },
  nul_detector_version: { reason_code: 'nul_detector_version', run_detector_version: 'fake-1.0.0\ufffd' },
  // The payload cannot be stored, so the signal is kept without it ({} in the table).
  nul_payload_key: { reason_code: 'nul_payload_key', payload_json: {} },
};

describe('poison answers', () => {
  it('settles each match once with one engine call and no retry, stores the repaired signal, and backfill does not re-queue it', async () => {
    const world = await openWorld({ label: 'poison_answers' });
    try {
      const { scenario, engine, worker } = world;
      const seeded = (await seedRankedMatches(scenario.pool, { matches: POISON_VARIANTS.length, seed: 13 }))
        .matches;
      const ids = seeded.map((m) => m.matchId);
      // The n-th analyze request gets the n-th poison; the recorded requests say which match that was.
      for (const variant of POISON_VARIANTS) engine.setFault({ kind: 'poison', variant, times: 1 });
      const started = new Date();
      await scenario.enqueue(ids);

      const runs = await waitForRuns(
        scenario.pool,
        ids,
        (r) => r.status !== 'deferred',
        'every match settled',
      );
      const finished = new Date();
      expect(engine.faults()).toEqual([]);
      const calls = engine.requests().filter((r) => r.path === '/v1/analyze');
      const variantOf = new Map<string, PoisonVariant>();
      for (const [i, request] of calls.entries()) {
        variantOf.set((request.body as { matchId: string }).matchId, POISON_VARIANTS[i]!);
      }
      // One engine call per match: the poison answer itself was stored, never a retry's clean answer.
      expect(calls).toHaveLength(ids.length);
      expect([...variantOf.keys()].sort()).toEqual([...ids].sort());
      for (const id of ids) {
        expect(runs.get(id), variantOf.get(id)).toMatchObject({
          status: 'analyzed',
          attempts: 1,
          last_failure: null,
        });
        const job = await scenario.queue.getJob(rankedMatchJobId(id));
        await pollUntil(async () => (await job?.getState()) === 'completed', {
          description: `job of ${id} completed`,
        });
        expect((await scenario.queue.getJob(rankedMatchJobId(id)))?.attemptsMade, variantOf.get(id)).toBe(1);
      }

      const { rows } = await scenario.pool.query<PoisonRow & { match_id: string }>(
        `SELECT s.match_id, s.signal_type, s.reason_code, s.detector_version, s.payload_json, s.occurred_at,
                r.detector_version AS run_detector_version
         FROM moderation_signals s JOIN risk_analysis_runs r ON r.match_id = s.match_id
         WHERE s.detector_key = $1 ORDER BY s.reason_code`,
        [POISON_DETECTOR_KEY],
      );
      expect(rows).toHaveLength(POISON_VARIANTS.length);
      for (const row of rows) {
        const variant = variantOf.get(row.match_id)!;
        const { occurredNow, ...expected } = STORED[variant];
        expect(row, variant).toMatchObject({
          signal_type: 'gameplay_integrity',
          detector_version: 'fake-1.0.0',
          ...expected,
        });
        if (occurredNow) {
          // Replaced by the time of the analysis, as a zero time is.
          expect(row.occurred_at.getTime(), variant).toBeGreaterThanOrEqual(started.getTime() - 1_000);
          expect(row.occurred_at.getTime(), variant).toBeLessThanOrEqual(finished.getTime() + 1_000);
        } else {
          expect(row.occurred_at.toISOString(), variant).toBe('2026-01-01T00:00:00.000Z');
        }
      }

      // Every poison signal asked for review: one outbox row each, delivered to the webhook.
      const audit = await auditOutbox(scenario.pool);
      expect(audit).toMatchObject({ queuedWithoutOutbox: [], signalsWithSeveralRows: [], malformedRows: [] });
      await world.webhook.waitForCount(audit.outboxRows);

      // backfill finds nothing to re-run: every match has a finished run row.
      const backfill = await runWorkerCli(['backfill'], world.env);
      expect(backfill.exit.code).toBe(0);
      expect(backfill.logs.lines).toContainEqual({ queued: 0, alreadyPending: 0 });
      expect(await queueCounts(scenario.queue)).toMatchObject({ wait: 0, active: 0, delayed: 0, failed: 0 });
      expect(engine.requests().filter((r) => r.path === '/v1/analyze')).toHaveLength(ids.length);
      expect([...(await runsByMatch(scenario.pool, ids)).values()].map((r) => r.attempts)).toEqual(
        ids.map(() => 1),
      );
      expect(worker.exitState).toBeUndefined();
      expect(world.readiness.notReady()).toEqual([]);
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  });
});
