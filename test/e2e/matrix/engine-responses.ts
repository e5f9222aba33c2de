// Fault-matrix rows about what the engine answers: 429 with Retry-After, 401/403, 400/422,
// malformed / schema-invalid / oversized bodies, and hostile bodies. Each test owns its world.
import { HOSTILE_VARIANTS, type HostileVariant } from '@geoduels/fake-risk-engine';
import { rankedMatchJobId } from '@geoduels/moderation-worker';
import { LogLevel, messageIncludes, pollUntil } from '@geoduels/test-support';
import { expect, it } from 'vitest';
import { expectedSignals, sortSignals } from '../../support/expected-signals.js';
import { metricSum, scrapeMetrics } from '../../support/metrics.js';
import { auditOutbox, runsByMatch, storedSignals, waitForRuns } from '../../support/observe.js';
import { type SeededMatch, seedRankedMatches } from '../../support/seed.js';
import { openWorld } from '../../support/world.js';

const analyzeRequests = (world: {
  engine: { requests(): { path: string; receivedAt: Date; body: unknown }[] };
}) => world.engine.requests().filter((r) => r.path === '/v1/analyze');

/** Registers the tests of this group (engine answers); call inside the matrix's concurrent describe. */
export function engineResponseTests(): void {
  it('429 with Retry-After: defers the match for at least that long, then analyses it', async () => {
    const world = await openWorld({ label: 'rate_limited' });
    try {
      const { scenario } = world;
      const [match] = (await seedRankedMatches(scenario.pool, { matches: 1, seed: 31 })).matches;
      world.engine.setFault({ kind: 'rate_limit', retryAfter: 3, times: 1 });
      await scenario.enqueue([match!.matchId]);

      const deferred = await waitForRuns(
        scenario.pool,
        [match!.matchId],
        (r) => r.status === 'deferred',
        'deferred',
      );
      expect(deferred.get(match!.matchId)?.last_failure).toBe('rate_limited');
      await waitForRuns(
        scenario.pool,
        [match!.matchId],
        (r) => r.status === 'analyzed',
        'analysed after retry-after',
      );

      const [first, second, ...rest] = analyzeRequests(world);
      expect(rest).toEqual([]);
      expect(second!.receivedAt.getTime() - first!.receivedAt.getTime()).toBeGreaterThanOrEqual(3_000);
      expect(await storedSignals(scenario.pool, [match!.matchId])).toEqual(expectedSignals(match!));
      expect(world.readiness.notReady()).toEqual([]);
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  });

  it('401 and 403: defers the matches and logs one error per state change, not one per job', async () => {
    const world = await openWorld({ label: 'unauthorized' });
    try {
      const { scenario, worker, engine } = world;
      const seeded = (await seedRankedMatches(scenario.pool, { matches: 10, seed: 32 })).matches;
      const firstIds = seeded.slice(0, 6).map((m) => m.matchId);
      const secondIds = seeded.slice(6).map((m) => m.matchId);
      const tokenErrors = () =>
        worker.logs.filter((l) => (l.level ?? 0) >= LogLevel.error && messageIncludes('token')(l));

      engine.setFault({ kind: 'unauthorized' });
      await scenario.enqueue(firstIds);
      const firstRuns = await waitForRuns(
        scenario.pool,
        firstIds,
        (r) => r.status === 'deferred',
        'deferred (401)',
      );
      expect([...firstRuns.values()].some((r) => r.last_failure === 'unauthorized')).toBe(true);
      // Six refused jobs, one error line (log lines arrive through a pipe: wait for it, then count).
      await worker.logs.waitFor(
        (l) => (l.level ?? 0) >= LogLevel.error && messageIncludes('token')(l),
        '401 error',
      );
      await pollUntil(() => analyzeRequests(world).length >= firstIds.length, {
        description: 'refused engine calls',
      });
      expect(tokenErrors()).toHaveLength(1);

      engine.clearFaults();
      await waitForRuns(
        scenario.pool,
        firstIds,
        (r) => r.status === 'analyzed',
        'analysed after 401',
        90_000,
      );
      await worker.logs.waitFor(messageIncludes('answering again'), 'recovery line');

      engine.setFault({ kind: 'status', code: 403 });
      await scenario.enqueue(secondIds);
      await waitForRuns(scenario.pool, secondIds, (r) => r.status === 'deferred', 'deferred (403)');
      await pollUntil(() => tokenErrors().length === 2, { description: 'the error line of the 403 episode' });
      engine.clearFaults();
      await waitForRuns(
        scenario.pool,
        secondIds,
        (r) => r.status === 'analyzed',
        'analysed after 403',
        90_000,
      );

      expect(tokenErrors()).toHaveLength(2);
      expect(analyzeRequests(world).length).toBeGreaterThan(seeded.length);
      expect(await storedSignals(scenario.pool, [...firstIds, ...secondIds])).toEqual(
        sortSignals(seeded.flatMap(expectedSignals)),
      );
      expect(world.readiness.notReady()).toEqual([]);
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  });

  it('400 and 422: fails the job permanently with the reason, never retries, and leaves the breaker closed', async () => {
    const world = await openWorld({ label: 'rejected' });
    try {
      const { scenario, worker, engine } = world;
      const seeded = (await seedRankedMatches(scenario.pool, { matches: 8, seed: 33 })).matches;
      const rejected422 = seeded.slice(0, 6).map((m) => m.matchId);
      const [rejected400, healthy] = seeded.slice(6).map((m) => m.matchId) as [string, string];

      // Six rejections: more than the breaker's volume threshold, so a miscounted 422 would trip it.
      engine.setFault({ kind: 'status', code: 422, times: 6 });
      await scenario.enqueue(rejected422);
      await waitForRuns(scenario.pool, rejected422, (r) => r.status === 'rejected', 'rejected (422)');
      engine.setFault({ kind: 'status', code: 400, times: 1 });
      await scenario.enqueue([rejected400]);
      await waitForRuns(scenario.pool, [rejected400], (r) => r.status === 'rejected', 'rejected (400)');

      for (const id of [...rejected422, rejected400]) {
        const job = await scenario.queue.getJob(rankedMatchJobId(id));
        await pollUntil(async () => (await job?.getState()) === 'failed', {
          description: `job ${id} failed`,
        });
        const failed = await scenario.queue.getJob(rankedMatchJobId(id));
        expect(failed?.attemptsMade).toBe(1);
        expect(failed?.failedReason).toMatch(id === rejected400 ? /rejected.*\(400\)/ : /rejected.*\(422\)/);
      }
      const runs = await waitForRuns(scenario.pool, [rejected400], () => true, 'run row');
      expect(runs.get(rejected400)?.last_failure).toMatch(/^engine answered 400: /);
      expect(analyzeRequests(world)).toHaveLength(7);

      await scenario.enqueue([healthy]);
      await waitForRuns(scenario.pool, [healthy], (r) => r.status === 'analyzed', 'the next match analysed');
      const metrics = (await scrapeMetrics(`${worker.baseUrl}/metrics`)).samples;
      expect(metricSum(metrics, 'moderation_risk_engine_breaker_transitions_total')).toBe(0);
      expect(metricSum(metrics, 'moderation_risk_engine_breaker_state', { state: 'closed' })).toBe(1);
      expect(worker.logs.filter(messageIncludes('circuit opened'))).toEqual([]);
      expect(await storedSignals(scenario.pool, [...rejected422, rejected400])).toEqual([]);
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  });

  it('malformed, schema-invalid and oversized bodies: counted as engine failures, nothing stored from them, analysed on retry', async () => {
    const world = await openWorld({ label: 'invalid_body' });
    try {
      const { scenario, worker, engine } = world;
      const seeded = (await seedRankedMatches(scenario.pool, { matches: 4, seed: 34 })).matches;
      const ids = seeded.map((m) => m.matchId);
      engine.setFault({ kind: 'malformed_json', times: 1 });
      engine.setFault({ kind: 'schema_invalid', times: 1 });
      engine.setFault({ kind: 'oversized', times: 1 });
      engine.setFault({ kind: 'oversized', contentLength: false, times: 1 });
      await scenario.enqueue(ids);

      const deferred = await waitForRuns(scenario.pool, ids, (r) => r.status === 'deferred', 'all deferred');
      expect([...deferred.values()].map((r) => r.last_failure)).toEqual(ids.map(() => 'invalid_response'));
      expect(await storedSignals(scenario.pool, ids)).toEqual([]);
      // The counter is bumped just after the run row is written: wait for it, then check it is exact.
      const invalidCalls = async () =>
        metricSum(
          (await scrapeMetrics(`${worker.baseUrl}/metrics`)).samples,
          'moderation_risk_engine_calls_total',
          {
            status: 'unavailable',
            reason: 'invalid_response',
          },
        );
      await pollUntil(async () => (await invalidCalls()) >= 4, {
        description: 'four invalid responses counted',
      });
      expect(await invalidCalls()).toBe(4);

      await waitForRuns(scenario.pool, ids, (r) => r.status === 'analyzed', 'analysed on retry');
      expect(await storedSignals(scenario.pool, ids)).toEqual(sortSignals(seeded.flatMap(expectedSignals)));
      expect(world.readiness.notReady()).toEqual([]);
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  });

  it('hostile bodies (deep nesting, huge strings, wrong types, __proto__ keys): each gets a clear result and the worker carries on', async () => {
    const world = await openWorld({ label: 'hostile', workerEnv: { MODERATION_WORKER_CONCURRENCY: '1' } });
    try {
      const { scenario, worker, engine } = world;
      const seeded = (
        await seedRankedMatches(scenario.pool, { matches: HOSTILE_VARIANTS.length + 1, seed: 35 })
      ).matches;
      const byVariant = new Map<HostileVariant, SeededMatch>();
      for (const [i, variant] of HOSTILE_VARIANTS.entries()) {
        const match = seeded[i]!;
        byVariant.set(variant, match);
        engine.setFault({ kind: 'hostile', variant, times: 1 });
        await scenario.enqueue([match.matchId]);
        // One match at a time, so each hostile body answers the match it is meant for.
        await waitForRuns(
          scenario.pool,
          [match.matchId],
          (r) => r.status === 'analyzed',
          `analysed after ${variant}`,
        );
        expect(engine.faults()).toEqual([]);
      }
      const signalsOf = async (variant: HostileVariant) =>
        (
          await scenario.pool.query(
            `SELECT detector_key, reason_code, severity, payload_json, subject_user_id FROM moderation_signals
             WHERE match_id = $1 ORDER BY detector_key, reason_code`,
            [byVariant.get(variant)!.matchId],
          )
        ).rows;

      // Deep nesting: the signal is kept, its payload (over the depth bound) is not: stored as {}.
      expect(await signalsOf('deep_nesting')).toEqual([
        expect.objectContaining({ detector_key: 'hostile', reason_code: 'deep_payload', payload_json: {} }),
      ]);
      // Wrong types: an invalid response, nothing stored from it; the retry got the real signals.
      const wrongTypes = byVariant.get('wrong_types')!;
      expect((await runsByMatch(scenario.pool, [wrongTypes.matchId])).get(wrongTypes.matchId)?.attempts).toBe(
        2,
      );
      expect(await storedSignals(scenario.pool, [wrongTypes.matchId])).toEqual(expectedSignals(wrongTypes));
      // Huge strings: a 300 kB reason code cannot be a dedupe key, so the client drops that signal
      // (counted) and the match is analysed at once, with nothing stored from it and no retry.
      const huge = byVariant.get('huge_strings')!;
      expect(await storedSignals(scenario.pool, [huge.matchId])).toEqual([]);
      expect((await runsByMatch(scenario.pool, [huge.matchId])).get(huge.matchId)).toMatchObject({
        status: 'analyzed',
        attempts: 1,
        signal_count: 0,
      });
      // __proto__ keys: stored as plain data of the opaque payload; the row itself is untouched.
      const proto = await signalsOf('proto_keys');
      expect(proto).toEqual([
        {
          detector_key: 'hostile',
          reason_code: 'proto_keys',
          severity: 'high',
          subject_user_id: byVariant
            .get('proto_keys')!
            .players.map((p) => p.userId)
            .sort()[0],
          payload_json: JSON.parse(
            '{"__proto__":{"polluted":"payload"},"constructor":{"prototype":{"polluted":"ctor"}},"ok":1}',
          ),
        },
      ]);

      // The worker carries on: a normal match afterwards is analysed exactly, review messages go out,
      // and none of them carries a polluted property.
      const last = seeded.at(-1)!;
      await scenario.enqueue([last.matchId]);
      await waitForRuns(
        scenario.pool,
        [last.matchId],
        (r) => r.status === 'analyzed',
        'a normal match afterwards',
      );
      expect(await storedSignals(scenario.pool, [last.matchId])).toEqual(expectedSignals(last));
      const audit = await auditOutbox(scenario.pool);
      await world.webhook.waitForCount(audit.outboxRows);
      expect(JSON.stringify(world.webhook.received)).not.toMatch(/polluted|isAdmin/);
      expect(worker.exitState).toBeUndefined();
      expect(world.readiness.notReady()).toEqual([]);
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  });
}
