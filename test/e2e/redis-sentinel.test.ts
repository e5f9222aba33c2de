// Redis behind Sentinel: the worker, the producer helper and the operator commands find the master
// through three real Sentinels (redis-server --sentinel on loopback), and follow it when it is killed
// and its replica promoted.
import {
  type PrivateRedisSentinel,
  runWorkerCli,
  startPrivateRedisSentinel,
  stopAllProcesses,
} from '@geoduels/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectExactlyOnce, queueCounts, runsByMatch, waitForRuns } from '../support/observe.js';
import { seedRankedMatches } from '../support/seed.js';
import { openWorld } from '../support/world.js';

let sentinel: PrivateRedisSentinel;

beforeAll(async () => {
  sentinel = await startPrivateRedisSentinel({ downAfterMs: 1_000 });
});

afterAll(async () => {
  await sentinel?.destroy();
  await stopAllProcesses();
});

it('finds the master through the sentinels, and after the master is killed follows the promoted replica without losing or doubling a match', async () => {
  const world = await openWorld({
    label: 'sentinel',
    redisSentinel: { sentinels: sentinel.sentinels, masterName: sentinel.masterName },
  });
  try {
    const { scenario, env } = world;
    const seeded = (await seedRankedMatches(scenario.pool, { matches: 200, seed: 171 })).matches;
    const ids = seeded.map((m) => m.matchId);
    const [before, after] = [ids.slice(0, 100), ids.slice(100)];
    await scenario.enqueue(before);
    await waitForRuns(scenario.pool, before, (r) => r.status === 'analyzed', 'analysed before the failover');

    const check = await runWorkerCli(['check', '--worker-url', world.worker.baseUrl], env);
    expect(check.exit.code, check.logs.text()).toBe(0);
    const master = await sentinel.masterPort();
    expect(check.logs.text()).toMatch(
      new RegExp(
        `redis mode +OK +sentinel \\(REDIS_SENTINELS\\): master ${sentinel.masterName} at 127\\.0\\.0\\.1:${master}, role master`,
      ),
    );

    await sentinel.kill(master);
    const promoted = await sentinel.waitForFailover(master);
    expect(promoted).not.toBe(master);

    // The producer, the worker and the commands all follow the sentinels to the new master.
    await scenario.enqueue(after);
    await waitForRuns(
      scenario.pool,
      ids,
      (r) => r.status === 'analyzed',
      'all analysed after the failover',
      90_000,
    );
    expect((await runsByMatch(scenario.pool, ids)).size).toBe(ids.length);
    await expectExactlyOnce(scenario.pool, seeded, ids);
    const status = await runWorkerCli(['queue', 'status'], env);
    expect(status.exit.code, status.logs.text()).toBe(0);
    expect(status.logs.text()).toContain('paused: no');
    expect(await queueCounts(scenario.queue)).toMatchObject({ wait: 0, active: 0, delayed: 0, failed: 0 });
    const again = await runWorkerCli(['check', '--worker-url', world.worker.baseUrl], env);
    expect(again.logs.text()).toMatch(
      new RegExp(`redis mode +OK +sentinel .* at 127\\.0\\.0\\.1:${promoted}, role master`),
    );
    await world.worker.waitReady(30_000);
  } finally {
    await world.close();
  }
}, 180_000);
