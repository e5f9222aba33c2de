// Fault-matrix row "Redis or PostgreSQL restart": on private instances started by the test (never
// the shared ones), the worker goes not-ready while one is down, recovers by itself, loses no job.
import { httpStatus, pollUntil, startPrivatePostgres, startPrivateRedis } from '@geoduels/test-support';
import { expect, it } from 'vitest';
import { expectedSignals, sortSignals } from '../../support/expected-signals.js';
import { auditOutbox, storedSignals, waitForRuns } from '../../support/observe.js';
import { seedRankedMatches } from '../../support/seed.js';
import { openWorld, type World } from '../../support/world.js';

/** Runs matches through a dependency outage: stop it mid-work, see not-ready, start it, see recovery. */
async function outageMidWork(
  world: World,
  seed: number,
  stop: () => Promise<void>,
  start: () => Promise<void>,
) {
  const { scenario, worker, engine } = world;
  const seeded = (await seedRankedMatches(scenario.pool, { matches: 16, seed })).matches;
  const ids = seeded.map((m) => m.matchId);
  engine.setFault({ kind: 'latency', ms: 800 });
  await scenario.enqueue(ids);
  await pollUntil(() => engine.requestCount() >= 1, { description: 'work in flight' });

  await stop();
  const downAt = Date.now();
  await pollUntil(async () => (await httpStatus(`${worker.baseUrl}/health/ready`)) === 503, {
    description: 'not ready while the dependency is down',
  });
  await start();
  await pollUntil(async () => (await httpStatus(`${worker.baseUrl}/health/ready`)) === 200, {
    description: 'ready again by itself',
    timeoutMs: 60_000,
  });
  engine.clearFaults();

  await waitForRuns(scenario.pool, ids, (r) => r.status === 'analyzed', 'every match analysed', 100_000);
  expect(await storedSignals(scenario.pool, ids)).toEqual(sortSignals(seeded.flatMap(expectedSignals)));
  expect(await auditOutbox(scenario.pool)).toMatchObject({
    queuedWithoutOutbox: [],
    signalsWithSeveralRows: [],
    unexpectedRows: [],
  });
  await world.readiness.stop();
  const before = world.readiness.samples.filter((s) => s.at < downAt);
  expect(before.length).toBeGreaterThan(0);
  expect(before.filter((s) => s.status !== 200)).toEqual([]);
  expect(worker.exitState).toBeUndefined();
  expect(await world.secretLeaks()).toEqual([]);
}

/** Registers the tests of this group (dependency restarts (private instances)); call inside the matrix's concurrent describe. */
export function restartTests(): void {
  it('Redis restart: not ready while Redis is down, recovers by itself, every queued match analysed once', async () => {
    const redis = await startPrivateRedis();
    let world: World | undefined;
    try {
      world = await openWorld({ label: 'redis_restart', redisUrl: redis.url });
      await outageMidWork(
        world,
        61,
        () => redis.stop(),
        () => redis.start(),
      );
    } finally {
      await world?.close();
      await redis.destroy();
    }
  });

  it('PostgreSQL restart: not ready while PostgreSQL is down, recovers by itself, every queued match analysed once', async () => {
    const postgres = await startPrivatePostgres();
    let world: World | undefined;
    try {
      world = await openWorld({ label: 'pg_restart', postgres });
      await outageMidWork(
        world,
        62,
        () => postgres.stop(),
        () => postgres.start(),
      );
    } finally {
      await world?.close();
      await postgres.destroy();
    }
  });
}
