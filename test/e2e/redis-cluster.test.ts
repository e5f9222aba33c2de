// Fault-matrix row "Redis Cluster": the worker processes, the producer helper and the operator
// commands on a real Redis Cluster (three masters, each with a replica, started from the machine's
// redis-server). One cluster serves every scenario of this file, each under its own hash-tagged
// prefix. The scenarios that only wait run concurrently; the master kill runs alone, last.
import { rankedMatchJobId } from '@geoduels/moderation-worker';
import {
  messageIncludes,
  type PrivateRedisCluster,
  pollUntil,
  runWorkerCli,
  startPrivateRedisCluster,
  stopAllProcesses,
  type WorkerProcess,
} from '@geoduels/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedSignals, sortSignals } from '../support/expected-signals.js';
import { metricSum, scrapeMetrics } from '../support/metrics.js';
import {
  deliveryReport,
  expectExactlyOnce,
  queueCounts,
  runsByMatch,
  storedSignals,
  waitForRuns,
} from '../support/observe.js';
import { seedRankedMatches } from '../support/seed.js';
import { openWorld, type World } from '../support/world.js';

const REPLICA_MATCHES = 2_000;
const FAILOVER_MATCHES = 600;

let cluster: PrivateRedisCluster;

beforeAll(async () => {
  cluster = await startPrivateRedisCluster({ masters: 3, nodeTimeoutMs: 1_000 });
});

afterAll(async () => {
  await cluster?.destroy();
  // Each test stops its own processes; this only catches what a crashed test left behind.
  await stopAllProcesses();
});

/** A world on the shared cluster, its seed list naming only two of the six nodes (the client finds the rest). */
function clusterWorld(label: string, extra: Parameters<typeof openWorld>[0] = { label }): Promise<World> {
  const seeds = cluster.seedNodes.split(',').slice(0, 2).join(',');
  return openWorld({ ...extra, label, redisClusterNodes: seeds });
}

/** The `outcome="analyzed"` job count of each worker. */
function analysedPerWorker(workers: readonly WorkerProcess[]): Promise<number[]> {
  return Promise.all(
    workers.map(async (w) =>
      metricSum((await scrapeMetrics(`${w.baseUrl}/metrics`)).samples, 'moderation_analysis_jobs_total', {
        outcome: 'analyzed',
      }),
    ),
  );
}

/** Every outbox row sent, and each queued signal received by the webhook once. */
async function expectEveryNotificationDelivered(world: World): Promise<void> {
  await pollUntil(
    async () =>
      (await world.scenario.pool.query('SELECT 1 FROM notification_outbox WHERE sent_at IS NULL'))
        .rowCount === 0,
    { description: 'every notification sent', timeoutMs: 90_000 },
  );
  expect(await deliveryReport(world.scenario.pool, world.webhook.received)).toEqual({
    missing: [],
    unexpected: [],
  });
}

describe.concurrent('on a Redis Cluster', () => {
  it(`three worker replicas analyse ${REPLICA_MATCHES} matches exactly once`, async () => {
    const world = await clusterWorld('cluster_replicas', { label: 'cluster_replicas', engineTimeout: '5s' });
    try {
      const { scenario } = world;
      const workers = [
        world.worker,
        await world.startReplica('replica-2'),
        await world.startReplica('replica-3'),
      ];
      const seeded = (await seedRankedMatches(scenario.pool, { matches: REPLICA_MATCHES, seed: 161 }))
        .matches;
      const ids = seeded.map((m) => m.matchId);
      await scenario.enqueue(ids);
      await waitForRuns(scenario.pool, ids, (r) => r.status === 'analyzed', 'all analysed', 200_000);

      await pollUntil(async () => (await queueCounts(scenario.queue)).completed === REPLICA_MATCHES, {
        description: 'one completed job per match',
      });
      expect(await queueCounts(scenario.queue)).toEqual({
        wait: 0,
        active: 0,
        delayed: 0,
        completed: REPLICA_MATCHES,
        failed: 0,
        prioritized: 0,
      });
      // One run row per match (an engine call slower than the timeout on a loaded machine is a
      // deferral and a second attempt, not a second analysis: the job metric below counts those).
      expect((await runsByMatch(scenario.pool, ids)).size).toBe(REPLICA_MATCHES);
      await expectExactlyOnce(scenario.pool, seeded, ids);
      await expectEveryNotificationDelivered(world);

      // Each analysis counted once across the replicas, and the work was shared.
      const analysed = await analysedPerWorker(workers);
      expect(analysed.reduce((a, b) => a + b, 0)).toBe(REPLICA_MATCHES);
      expect(analysed.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
      expect(world.readiness.notReady()).toEqual([]);
      expect(await world.secretLeaks()).toEqual([]);
    } finally {
      await world.close();
    }
  }, 300_000);

  it('opens the breaker while the engine is down, defers every match, and analyses them all once it is back', async () => {
    const world = await clusterWorld('cluster_breaker', { label: 'cluster_breaker', engineTimeout: '2s' });
    try {
      const { scenario, worker, engine } = world;
      const seeded = await seedRankedMatches(scenario.pool, { matches: 8, seed: 162 });
      const ids = seeded.matches.map((m) => m.matchId);
      await engine.down();
      await scenario.enqueue(ids);

      await worker.logs.waitFor(messageIncludes('circuit opened'), 'breaker opened', 60_000);
      const deferred = await waitForRuns(scenario.pool, ids, (r) => r.status === 'deferred', 'all deferred');
      const reasons = new Set([...deferred.values()].map((r) => r.last_failure));
      expect(reasons.has('network')).toBe(true);
      expect([...reasons].every((r) => r === 'network' || r === 'breaker_open')).toBe(true);
      expect(await storedSignals(scenario.pool, ids)).toEqual([]);
      // Deferred jobs wait as delayed jobs (or behind the breaker's rate limit), none stuck active.
      await pollUntil(async () => (await scenario.queue.getJobCounts('active')).active === 0, {
        description: 'no job left active while the engine is out',
      });
      const metrics = (await scrapeMetrics(`${worker.baseUrl}/metrics`)).samples;
      expect(
        metricSum(metrics, 'moderation_risk_engine_breaker_transitions_total', { to: 'open' }),
      ).toBeGreaterThan(0);

      await engine.up();
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
      expect((await queueCounts(scenario.queue)).completed).toBe(ids.length);
      expect(world.readiness.notReady()).toEqual([]);
    } finally {
      await world.close();
    }
  });

  it('queue pause, status, resume, failed, clean, enqueue, backfill and check work against the cluster', async () => {
    const world = await clusterWorld('cluster_operator');
    try {
      const { scenario, env } = world;
      const seeded = await seedRankedMatches(scenario.pool, { matches: 5, seed: 163 });
      const ids = seeded.matches.map((m) => m.matchId);

      const pause = await runWorkerCli(['queue', 'pause'], env);
      expect(pause.exit.code, pause.logs.text()).toBe(0);
      expect(await scenario.queue.isPaused()).toBe(true);

      // Nobody enqueued these matches: backfill finds them by their missing run rows.
      const backfill = await runWorkerCli(['backfill'], env);
      expect(backfill.exit.code, backfill.logs.text()).toBe(0);
      expect(backfill.logs.lines).toContainEqual({ queued: 5, alreadyPending: 0 });
      const again = await runWorkerCli(['enqueue', ids[0]!], env);
      expect(again.exit.code, again.logs.text()).toBe(0);
      expect(again.logs.lines.map((l) => l.outcome)).toEqual(['already_pending']);

      const status = await runWorkerCli(['queue', 'status'], env);
      expect(status.exit.code, status.logs.text()).toBe(0);
      expect(status.logs.text()).toContain('paused: yes');
      // BullMQ 6 keeps a paused queue's jobs waiting (the pause is a flag, shown above).
      expect(status.logs.text()).toMatch(/waiting 5, active 0, delayed 0, prioritized 0, failed 0\b/);
      // Paused: nothing is analysed, whatever the worker does meanwhile.
      expect((await runsByMatch(scenario.pool, ids)).size).toBe(0);

      const resume = await runWorkerCli(['queue', 'resume'], env);
      expect(resume.exit.code, resume.logs.text()).toBe(0);
      await waitForRuns(scenario.pool, ids, (r) => r.status === 'analyzed', 'analysed after resume');
      expect(await storedSignals(scenario.pool, ids)).toEqual(
        sortSignals(seeded.matches.flatMap(expectedSignals)),
      );
      for (const id of ids) {
        expect(await (await scenario.queue.getJob(rankedMatchJobId(id)))?.getState()).toBe('completed');
      }

      // The failed-job commands read the failed set directly (ZCOUNT on the queue's slot).
      const failed = await runWorkerCli(['queue', 'failed'], env);
      expect(failed.exit.code, failed.logs.text()).toBe(0);
      const clean = await runWorkerCli(['queue', 'clean', '--failed', '--older-than', '1h'], env);
      expect(clean.exit.code, clean.logs.text()).toBe(0);
      expect(clean.logs.text()).toContain('0 jobs failed longer than 1h ago');

      const check = await runWorkerCli(['check', '--worker-url', world.worker.baseUrl], env);
      expect(check.exit.code, check.logs.text()).toBe(0);
      expect(check.logs.text()).toMatch(
        /redis mode +OK +cluster \(REDIS_CLUSTER_NODES\): cluster_state:ok, 6 known nodes, 3 masters, 3 serving slots/,
      );
      expect(check.logs.text()).toMatch(/redis +OK +cluster 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+: PONG/);
      expect(world.readiness.notReady()).toEqual([]);
    } finally {
      await world.close();
    }
  });
  it('the discovery sweep enqueues ranked duels nobody enqueued on the cluster, and they are analysed', async () => {
    const world = await clusterWorld('cluster_discovery', {
      label: 'cluster_discovery',
      workerEnv: { MODERATION_DISCOVERY_ENABLED: 'true', MODERATION_DISCOVERY_INTERVAL: '200ms' },
    });
    try {
      const { scenario, worker } = world;
      const ids = (await seedRankedMatches(scenario.pool, { matches: 20, seed: 165 })).matches.map(
        (m) => m.matchId,
      );
      // As if they had just been persisted: the sweep looks at recent ended_at only.
      await scenario.pool.query(
        'UPDATE match_history SET ended_at = now() WHERE match_id = ANY($1::uuid[])',
        [ids],
      );
      await waitForRuns(
        scenario.pool,
        ids,
        (r) => r.status === 'analyzed',
        'found by discovery and analysed',
      );
      const metrics = (await scrapeMetrics(`${worker.baseUrl}/metrics`)).samples;
      expect(metricSum(metrics, 'moderation_discovery_matches_total', { outcome: 'queued' })).toBe(
        ids.length,
      );
      for (const id of ids) {
        expect(await (await scenario.queue.getJob(rankedMatchJobId(id)))?.getState()).toBe('completed');
      }
      expect(world.readiness.notReady()).toEqual([]);
    } finally {
      await world.close();
    }
  });
});

describe('on a Redis Cluster losing a master', () => {
  it(`a master is killed mid-run, its replica takes over, and none of ${FAILOVER_MATCHES} matches is lost or analysed twice`, async () => {
    const world = await clusterWorld('cluster_failover');
    try {
      const { scenario } = world;
      const workers = [world.worker, await world.startReplica('replica-2')];
      const seeded = (await seedRankedMatches(scenario.pool, { matches: FAILOVER_MATCHES, seed: 164 }))
        .matches;
      const ids = seeded.map((m) => m.matchId);
      await scenario.enqueue(ids);

      const analysed = async () =>
        [...(await runsByMatch(scenario.pool, ids)).values()].filter((r) => r.status === 'analyzed').length;
      // Mid-run: some matches analysed, most still queued.
      await pollUntil(async () => (await analysed()) >= FAILOVER_MATCHES / 10, {
        description: 'a tenth analysed',
        timeoutMs: 60_000,
        intervalMs: 20,
      });
      const master = await cluster.masterOf(scenario.prefix);
      await cluster.kill(master);
      const promoted = await cluster.waitForFailover(scenario.prefix, master);
      expect(promoted).not.toBe(master);
      expect(await analysed()).toBeLessThan(FAILOVER_MATCHES);

      await waitForRuns(
        scenario.pool,
        ids,
        (r) => r.status === 'analyzed',
        'all analysed after failover',
        180_000,
      );
      // Nothing lost: one completed job per match on the promoted master; nothing failed.
      await pollUntil(async () => (await queueCounts(scenario.queue)).completed === FAILOVER_MATCHES, {
        description: 'one completed job per match',
        timeoutMs: 60_000,
      });
      expect(await queueCounts(scenario.queue)).toMatchObject({ wait: 0, active: 0, delayed: 0, failed: 0 });
      // Nothing duplicated: one run row per match, the signals and outbox rows exactly once.
      expect((await runsByMatch(scenario.pool, ids)).size).toBe(FAILOVER_MATCHES);
      await expectExactlyOnce(scenario.pool, seeded, ids);
      await expectEveryNotificationDelivered(world);
      // The workers came through the failover ready and still consuming.
      for (const w of workers) await w.waitReady(30_000);
      expect(workers.every((w) => w.exitState === undefined)).toBe(true);
    } finally {
      await world.close();
      await cluster.restart(cluster.nodes.find((n) => !n.running)?.port ?? 0).catch(() => undefined);
    }
  }, 300_000);
});
