// Compatibility with production's own writes and settings, on a production-shaped database (the
// API's schema, then the worker's migrations): an engine signal written by production's upsert and
// by the worker's analysis of the same finding is one row merged by production's rules, in either
// order; the worker never stores a NULL payload; and the worker reads the active ranked season as
// production does, on every job.
import { randomUUID } from 'node:crypto';
import { type FakeRiskEngine, startFakeRiskEngine } from '@geoduels/fake-risk-engine';
import type { AnalyzeRequest, RawSignal } from '@geoduels/risk-client';
import {
  startWorker,
  stopAllProcesses,
  storeProductionSignal,
  type WorkerProcess,
} from '@geoduels/test-support';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRuns } from '../support/observe.js';
import { createScenario, type Scenario } from '../support/scenario.js';

// What the scripted engine answers, per match.
const answers = new Map<string, RawSignal[]>();
let scenario: Scenario;
let engine: FakeRiskEngine;
let worker: WorkerProcess;

beforeAll(async () => {
  [scenario, engine] = await Promise.all([
    createScenario({ label: 'compat_signals' }),
    startFakeRiskEngine({
      detectors: [{ name: 'scripted', detect: (request) => answers.get(request.matchId) ?? [] }],
    }),
  ]);
  worker = await startWorker(
    scenario.workerEnv({ RISK_ENGINE_URL: engine.url, RISK_ENGINE_TIMEOUT: '3s' }),
    'compat-worker',
  );
  await worker.waitReady();
});

afterAll(async () => {
  await worker?.stop();
  await stopAllProcesses();
  await engine?.stop();
  await scenario?.close();
});

/** A finalised ranked duel, as the API leaves it, without touching `site_settings`. Returns its players. */
async function seedDuel(pool: pg.Pool, matchId: string): Promise<[string, string]> {
  const players: [string, string] = [randomUUID(), randomUUID()];
  await pool.query(`INSERT INTO users (id, display_name) SELECT * FROM unnest($1::uuid[], $2::text[])`, [
    players,
    ['Compat One', 'Compat Two'],
  ]);
  await pool.query(
    `INSERT INTO match_history (match_id, mode, ranked, started_at, ended_at)
     VALUES ($1, 'duel', true, '2026-03-01T10:00:00Z', '2026-03-01T10:05:00Z')`,
    [matchId],
  );
  await pool.query(
    `INSERT INTO match_players (match_id, user_id, ended_at) SELECT $1, u, '2026-03-01T10:05:00Z' FROM unnest($2::uuid[]) u`,
    [matchId, players],
  );
  await pool.query(
    `INSERT INTO ranked_guess_events (user_id, match_id, round_number, score, guess_ms, evidence, occurred_at)
     SELECT u, $1, r, 3000 + r, 9000, 0.25, '2026-03-01T10:00:00Z'::timestamptz + r * interval '30 seconds'
     FROM unnest($2::uuid[]) u CROSS JOIN generate_series(1, 3) r`,
    [matchId, players],
  );
  return players;
}

/** Enqueues the match with the API's producer and waits until the worker analysed it. */
async function analyse(matchId: string): Promise<void> {
  await scenario.enqueue([matchId]);
  await waitForRuns(scenario.pool, [matchId], (run) => run.status === 'analyzed', `${matchId} analysed`);
}

async function signalRows(matchId: string) {
  const result = await scenario.pool.query(
    `SELECT id, severity, evidence_strength, score, recommended_queue, payload_json, signal_type,
            to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS occurred_at
     FROM moderation_signals WHERE match_id = $1 ORDER BY reason_code`,
    [matchId],
  );
  return result.rows;
}

describe.sequential('signals shared with production', () => {
  it('merges a finding production stored first and the worker analysed next into one row', async () => {
    const matchId = randomUUID();
    const [subject] = await seedDuel(scenario.pool, matchId);
    const { id: productionId } = await storeProductionSignal(scenario.pool, {
      subjectUserId: subject,
      matchId,
      signalType: 'gameplay_integrity',
      severity: 'medium',
      evidenceStrength: 'strong',
      detectorKey: 'fast_precise',
      detectorVersion: 'd7',
      reasonCode: 'fast_and_precise',
      score: 0.9,
      recommendedQueue: true,
      payload: { from: 'production' },
      occurredAt: '2026-03-01T10:20:00Z',
    });
    answers.set(matchId, [
      {
        subjectUserId: subject,
        signalType: 'gameplay_integrity',
        detectorKey: 'fast_precise',
        detectorVersion: 'd7',
        severity: 'high',
        evidenceStrength: 'limited',
        reasonCode: 'fast_and_precise',
        recommendedQueue: false,
        score: 0.4,
        payload: { from: 'worker' },
        occurredAt: '2026-03-01T10:10:00Z',
      },
    ]);
    await analyse(matchId);

    expect(await signalRows(matchId)).toEqual([
      {
        id: productionId,
        severity: 'high',
        evidence_strength: 'strong',
        score: 0.9,
        recommended_queue: true,
        payload_json: { from: 'worker' },
        signal_type: 'gameplay_integrity',
        occurred_at: '2026-03-01T10:20:00Z',
      },
    ]);
    // The review notification carries the merged row.
    const outbox = await scenario.pool.query(
      `SELECT dedupe_key, payload_json FROM notification_outbox WHERE type = 'moderation_signal_queued'
         AND payload_json->>'signalId' = $1`,
      [productionId],
    );
    expect(outbox.rows).toEqual([
      {
        dedupe_key: `moderation_signal:${productionId}:queued`,
        payload_json: {
          signalId: Number(productionId),
          subjectUserId: subject,
          subjectName: 'Compat One',
          severity: 'high',
          evidenceStrength: 'strong',
          reasonCode: 'fast_and_precise',
          occurredAt: '2026-03-01T10:20:00.000Z',
        },
      },
    ]);
  });

  it('merges a finding the worker stored first and production wrote next into one row, detector fields absent', async () => {
    const matchId = randomUUID();
    const [, subject] = await seedDuel(scenario.pool, matchId);
    answers.set(matchId, [
      {
        subjectUserId: subject,
        signalType: 'gameplay_integrity',
        detectorKey: null,
        detectorVersion: null,
        severity: 'critical',
        evidenceStrength: 'weak',
        reasonCode: 'rating_jump',
        recommendedQueue: true,
        score: 0.3,
        payload: { from: 'worker' },
        occurredAt: '2026-03-01T10:30:00Z',
      },
    ]);
    await analyse(matchId);
    const [stored] = await signalRows(matchId);

    await storeProductionSignal(scenario.pool, {
      subjectUserId: subject,
      matchId,
      signalType: 'gameplay_integrity',
      severity: 'low',
      evidenceStrength: 'substantial',
      detectorKey: null,
      detectorVersion: null,
      reasonCode: 'rating_jump',
      score: 0.8,
      recommendedQueue: false,
      payload: { from: 'production' },
      occurredAt: '2026-03-01T10:15:00Z',
    });

    expect(await signalRows(matchId)).toEqual([
      {
        id: stored.id,
        severity: 'critical',
        evidence_strength: 'substantial',
        score: 0.8,
        recommended_queue: true,
        payload_json: { from: 'production' },
        signal_type: 'gameplay_integrity',
        occurred_at: '2026-03-01T10:30:00Z',
      },
    ]);
  });

  it("stores '{}' as the payload of a signal the engine sent without one, also when it replaces a stored payload", async () => {
    const matchId = randomUUID();
    const [subject] = await seedDuel(scenario.pool, matchId);
    const finding = {
      subjectUserId: subject,
      detectorKey: 'pace',
      detectorVersion: 'd1',
      severity: 'low',
      evidenceStrength: 'weak',
      recommendedQueue: false,
      score: 0.1,
      occurredAt: '2026-03-01T10:40:00Z',
    };
    await storeProductionSignal(scenario.pool, {
      ...finding,
      matchId,
      signalType: 'gameplay_integrity',
      reasonCode: 'slow_replaced',
      payload: { from: 'production' },
    });
    answers.set(matchId, [
      { ...finding, reasonCode: 'slow_new' },
      { ...finding, reasonCode: 'slow_replaced', payload: null },
    ]);
    await analyse(matchId);
    const rows = await scenario.pool.query(
      `SELECT reason_code, payload_json FROM moderation_signals WHERE match_id = $1 ORDER BY reason_code`,
      [matchId],
    );
    expect(rows.rows).toEqual([
      { reason_code: 'slow_new', payload_json: {} },
      { reason_code: 'slow_replaced', payload_json: {} },
    ]);
  });
});

describe.sequential('the active ranked season, read as production reads it', () => {
  // One duel per read; its first player is ranked in several seasons, each with its own rating.
  const RATINGS: Record<string, number> = { s2: 1202, s5: 1505, s9: 1909, ' s9 ': 1999 };

  async function ratingSent(): Promise<number | undefined> {
    const matchId = randomUUID();
    const [player] = await seedDuel(scenario.pool, matchId);
    for (const [season, mmr] of Object.entries(RATINGS)) {
      await scenario.pool.query(
        `INSERT INTO ranks (user_id, mode, season_id, mmr) VALUES ($1, 'duel', $2, $3)`,
        [player, season, mmr],
      );
    }
    await analyse(matchId);
    const request = engine
      .requests()
      .map((r) => r.body as AnalyzeRequest)
      .find((body) => body?.matchId === matchId);
    return request?.players.find((p) => p.userId === player)?.currentRating;
  }

  async function setSeasonValue(value: unknown): Promise<void> {
    await scenario.pool.query(
      `INSERT INTO site_settings (key, value_json) VALUES ('ranked_season', $1::jsonb)
       ON CONFLICT (key) DO UPDATE SET value_json = EXCLUDED.value_json, updated_at = now()`,
      [JSON.stringify(value)],
    );
  }

  // First in this file to read facts with no ranked_season row: nothing above writes the setting.
  it("falls back to season 's2' when the ranked_season setting is missing", async () => {
    const row = await scenario.pool.query(`SELECT 1 FROM site_settings WHERE key = 'ranked_season'`);
    expect(row.rowCount).toBe(0);
    expect(await ratingSent()).toBe(RATINGS.s2);
  });

  it.each([
    ['a JSON array', [{ activeSeasonId: 's9' }]],
    ['a JSON string', 's9'],
    ['an object whose id is a number', { activeSeasonId: 9, monthlyResetDay: 1 }],
    ['an object whose id is null', { activeSeasonId: null }],
    ['an object without an id', { monthlyResetDay: 1 }],
    ['an object whose id is blank', { activeSeasonId: ' \t\n ', monthlyResetDay: 1 }],
  ])("falls back to season 's2' when the setting is %s", async (_, value) => {
    await setSeasonValue(value);
    expect(await ratingSent()).toBe(RATINGS.s2);
  });

  it('uses the season the setting names, trimmed, and shows a change on the very next job', async () => {
    await setSeasonValue({ activeSeasonId: ' s9 ', monthlyResetDay: 1, lastResetAt: '2026-03-01T00:00:00Z' });
    expect(await ratingSent()).toBe(RATINGS.s9);
    await setSeasonValue({ activeSeasonId: 's5', monthlyResetDay: 1, lastResetAt: '2026-04-01T00:00:00Z' });
    expect(await ratingSent()).toBe(RATINGS.s5);
  });

  it('sends the default rating 500 when the player has no rank in the active season', async () => {
    await setSeasonValue({ activeSeasonId: 's404' });
    expect(await ratingSent()).toBe(500);
  });
});
