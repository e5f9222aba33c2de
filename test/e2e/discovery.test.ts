// The API of this era never enqueues: it persists a ranked duel and calls the engine itself. The
// worker's discovery sweep must find such a match by itself and analyse it, end to end, with a real
// worker process and the fake engine as its own process.

import { randomUUID } from 'node:crypto';
import { rankedMatchJobId } from '@geoduels/moderation-worker';
import {
  type FakeEngineProcess,
  inTransaction,
  pollUntil,
  startFakeEngineProcess,
  startWorker,
  stopAllProcesses,
  type WorkerProcess,
} from '@geoduels/test-support';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricSum, scrapeMetrics } from '../support/metrics.js';
import { runsByMatch } from '../support/observe.js';
import { createScenario, type Scenario } from '../support/scenario.js';
import { testSecrets } from '../support/secrets.js';

const secrets = testSecrets();
let scenario: Scenario;
let engine: FakeEngineProcess;
let worker: WorkerProcess;

beforeAll(async () => {
  [scenario, engine] = await Promise.all([
    createScenario({ label: 'discovery', migrateWith: 'cli' }),
    startFakeEngineProcess({ token: secrets.engineToken }),
  ]);
  worker = await startWorker(
    scenario.workerEnv({
      RISK_ENGINE_URL: engine.url,
      RISK_ENGINE_TOKEN: secrets.engineToken,
      RISK_ENGINE_TIMEOUT: '3s',
      POSTGRES_MAX_CONNS: '4',
      MODERATION_DISCOVERY_ENABLED: 'true',
      MODERATION_DISCOVERY_INTERVAL: '200ms',
    }),
    'discovery-worker',
  );
  await worker.waitReady();
});

afterAll(async () => {
  await worker?.stop();
  await engine?.stop();
  await stopAllProcesses();
  await scenario?.close();
});

/**
 * Persists one ranked duel the way the API finalises it, in production's shape, and enqueues
 * nothing: two players, the first of whom guesses fast and precisely in every round (the fake's
 * fast-precise detector flags them).
 */
async function persistRankedDuel(pool: pg.Pool): Promise<{ matchId: string; suspect: string }> {
  const matchId = randomUUID();
  const [suspect, opponent] = [randomUUID(), randomUUID()];
  await inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO site_settings (key, value_json)
       VALUES ('ranked_season', '{"activeSeasonId": "s7", "monthlyResetDay": 1, "lastResetAt": "2026-01-01T00:00:00Z"}')
       ON CONFLICT (key) DO NOTHING`,
    );
    await client.query(
      `INSERT INTO users (id, display_name, account_type) VALUES ($1, 'Speedy', 'registered'), ($2, 'Steady', 'registered')`,
      [suspect, opponent],
    );
    await client.query(
      `INSERT INTO match_history (match_id, mode, ranked, started_at, ended_at, winner_user_id)
       VALUES ($1, 'duel', true, now() - interval '3 minutes', now(), $2)`,
      [matchId, suspect],
    );
    await client.query(
      `INSERT INTO match_players (match_id, user_id, ended_at, rating_before, rating_after, total_score)
       VALUES ($1, $2, now(), 1500, 1520, 24750), ($1, $3, now(), 1480, 1460, 12000)`,
      [matchId, suspect, opponent],
    );
    for (const [userId, score, guessMs] of [
      [suspect, 4_950, 800],
      [opponent, 2_400, 21_000],
    ] as const) {
      await client.query(
        `INSERT INTO ranked_guess_events (user_id, match_id, round_number, score, guess_ms, evidence, occurred_at)
         SELECT $1, $2, r, $3, $4, 0.5, now() - (6 - r) * interval '30 seconds' FROM generate_series(1, 5) AS r`,
        [userId, matchId, score, guessMs],
      );
      await client.query(`INSERT INTO ranks (user_id, mode, season_id, mmr) VALUES ($1, 'duel', 's7', $2)`, [
        userId,
        userId === suspect ? 1520 : 1460,
      ]);
      await client.query(
        `INSERT INTO ranked_stats (user_id, mode, season_id, games_played, wins) VALUES ($1, 'duel', 's7', 40, 20)`,
        [userId],
      );
    }
  });
  return { matchId, suspect };
}

describe('discovery end to end (worker process, fake engine process)', () => {
  it('analyses a ranked duel persisted without any enqueue within seconds, and stores its signals', async () => {
    const { matchId, suspect } = await persistRankedDuel(scenario.pool);

    const signals = await pollUntil(
      async () => {
        const stored = await scenario.pool.query<{ subject_user_id: string; reason_code: string }>(
          `SELECT subject_user_id, reason_code FROM moderation_signals
           WHERE source = 'risk_engine' AND match_id = $1`,
          [matchId],
        );
        if (stored.rows.length > 0) return stored.rows;
        // Not yet: say where the match stands, so a timeout explains itself.
        const job = await scenario.queue.getJob(rankedMatchJobId(matchId));
        const state = job === undefined ? 'not enqueued' : await job.getState();
        throw new Error(`no signals yet; job ${state}${job?.failedReason ? `: ${job.failedReason}` : ''}`);
      },
      {
        description: 'the discovered match analysed and its signals stored',
        timeoutMs: 15_000,
        intervalMs: 100,
      },
    );
    expect(signals).toContainEqual({ subject_user_id: suspect, reason_code: 'fast_precise_guesses' });
    expect((await runsByMatch(scenario.pool, [matchId])).get(matchId)).toMatchObject({
      status: 'analyzed',
      attempts: 1,
    });
    // Found by the sweep under the usual job id, and analysed once.
    const job = await scenario.queue.getJob(rankedMatchJobId(matchId));
    expect(job?.data).toEqual({ matchId });
    expect(await engine.requestCount()).toBe(1);

    const { samples } = await scrapeMetrics(`${worker.baseUrl}/metrics`);
    expect(metricSum(samples, 'moderation_discovery_matches_total', { outcome: 'queued' })).toBe(1);
    const health = (await (await fetch(`${worker.baseUrl}/health/ready`)).json()) as {
      ready: boolean;
      discovery: { enabled: boolean; lastSweepAt: string | null; lagSeconds: number | null };
    };
    expect(health.ready).toBe(true);
    expect(health.discovery.enabled).toBe(true);
    expect(Date.parse(health.discovery.lastSweepAt ?? '')).toBeGreaterThan(Date.now() - 10_000);
    expect(health.discovery.lagSeconds).toBeLessThan(5);
  });
});
