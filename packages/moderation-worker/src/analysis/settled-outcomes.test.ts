// Every answer settles its match once, through the queue against real PostgreSQL, Redis and the fake
// engine: answers PostgreSQL refuses to store, requests the contract refuses, an analysed run that
// meets an outage on redelivery, Retry-After, and the per-match notification cap.
import type { FakeRiskEngine } from '@geoduels/fake-risk-engine';
import type { AnalyzeResult, RiskClient } from '@geoduels/risk-client';
import type { RiskSignal } from '@geoduels/risk-client/signals';
import { startWebhookReceiver, type TempDatabase } from '@geoduels/test-support';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/pool.js';
import { startOutboxDelivery } from '../notifications/delivery.js';
import { matchSummaryDedupeKey } from '../notifications/outbox-payload.js';
import { fixedWebhookUrl } from '../notifications/webhook-url-source.js';
import {
  captureLogger,
  clientFor,
  createMigratedDatabase,
  type SeedPlayer,
  scriptedDetector,
  seedMatch,
  startScriptedEngine,
  startTestWorker,
  stateAfterRun,
  type TestWorker,
  within,
} from '../test-support/worker-harness.js';
import type { RiskAnalyzer } from './analyze-match.js';
import { enqueueRankedMatchPersisted, rankedMatchJobId, requeueRankedMatch } from './job.js';
import { directMatchStore } from './match-io.js';

let temp: TempDatabase;
let db: Database;
let engine: FakeRiskEngine;
const detector = scriptedDetector();
const cleanups: Array<() => Promise<unknown>> = [];
let seq = 0;

const A = '70000000-0000-4000-8000-00000000000a';
const B = '70000000-0000-4000-8000-00000000000b';
// Generous for a loaded 2-core machine, far below the 30 s test timeout: a regression fails here, named.
const SETTLE_MS = 10_000;

async function newMatch(players?: SeedPlayer[]): Promise<string> {
  seq += 1;
  const matchId = `71000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  await seedMatch(
    db,
    matchId,
    players ?? [
      { userId: A, events: [[1, 4000, 2000, 0.5, '2026-02-28T10:00:00Z']] },
      { userId: B, events: [[1, 3000, 6000, 0.1, '2026-02-28T10:00:00Z']] },
    ],
  );
  return matchId;
}

/** A worker on the real client, or on `analyzer` (a double of the client's port) when given. */
async function worker(
  options: {
    analyzer?: (client: RiskClient) => RiskAnalyzer;
    maxDeferMs?: number;
    maxNotifications?: number;
  } = {},
) {
  const client = clientFor(engine.url);
  const log = captureLogger();
  const flow = {
    store: directMatchStore(db, { maxNotificationsPerMatch: options.maxNotifications ?? 5 }),
    analyzer: options.analyzer?.(client) ?? client,
    now: () => new Date(),
    maxDeferMs: options.maxDeferMs ?? 3_600_000,
  };
  const started: TestWorker = await startTestWorker(flow, client, log.logger, 2);
  cleanups.push(async () => {
    await started.close();
    await client.close();
  });
  return { ...started, client, log };
}

/** The client's port answering as the real client does, with every ok answer changed by `poison`. */
function poisoning(
  poison: (answer: Extract<AnalyzeResult, { status: 'ok' }>) => AnalyzeResult,
  calls: string[],
) {
  return (client: RiskClient): RiskAnalyzer => ({
    async analyze(request, options) {
      calls.push(request.matchId);
      const answer = await client.analyze(request, options);
      return answer.status === 'ok' ? poison(answer) : answer;
    },
  });
}

function withSignal(change: Partial<RiskSignal>) {
  return (answer: Extract<AnalyzeResult, { status: 'ok' }>): AnalyzeResult => ({
    ...answer,
    signals: answer.signals.map((signal) => ({ ...signal, ...change })),
  });
}

async function runRow(matchId: string) {
  const result = await db.pool.query(
    'SELECT status, attempts, last_failure, finished_at IS NOT NULL AS finished FROM risk_analysis_runs WHERE match_id = $1',
    [matchId],
  );
  return result.rows[0];
}

async function metricValue(w: TestWorker, name: string, labels: Record<string, string> = {}) {
  const metric = await w.metrics.registry.getSingleMetric(name)?.get();
  const found = metric?.values.find((v) =>
    Object.entries(labels).every(([k, value]) => v.labels[k] === value),
  );
  return found?.value ?? 0;
}

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('settled'));
  engine = await startScriptedEngine(detector);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  engine.reset();
  detector.signals = [];
});
afterAll(async () => {
  await engine.stop();
  await db.pool.end();
  await temp.drop();
});

describe('an answer PostgreSQL refuses to store', () => {
  const poisons: Array<[string, (answer: Extract<AnalyzeResult, { status: 'ok' }>) => AnalyzeResult]> = [
    ['a signal time PostgreSQL cannot hold (year 0)', withSignal({ occurredAt: '0000-01-01T00:00:00Z' })],
    ['a lone surrogate in reasonCode', withSignal({ reasonCode: 'bad\ud800code' })],
    ['a NUL in the top-level detectorVersion', (answer) => ({ ...answer, detectorVersion: 'v1\u0000' })],
  ];
  for (const [what, poison] of poisons) {
    it(`settles the match once as unstorable, fails the job for good and counts it: ${what}`, async () => {
      const calls: string[] = [];
      const w = await worker({ analyzer: poisoning(poison, calls) });
      const matchId = await newMatch();
      detector.signals = [{ subjectUserId: A, reasonCode: 'fast', severity: 'high', score: 0.8 }];
      await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.prefix });
      const jobId = rankedMatchJobId(matchId);
      expect(await stateAfterRun(w.queue, jobId, SETTLE_MS)).toBe('failed');
      const job = (await w.queue.getJob(jobId))!;
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toMatch(/^PostgreSQL refused to store the analysed match: 22[0-9A-Z]{3}: /);
      expect(calls).toEqual([matchId]);
      const run = await runRow(matchId);
      expect(run).toMatchObject({ status: 'unstorable', attempts: 1, finished: true });
      expect(run?.last_failure).toMatch(/^22[0-9A-Z]{3}: /);
      const signals = await db.pool.query('SELECT 1 FROM moderation_signals WHERE match_id = $1', [matchId]);
      expect(signals.rows).toEqual([]);
      expect(await metricValue(w, 'moderation_unstorable_matches_total')).toBe(1);
      expect(await metricValue(w, 'moderation_analysis_jobs_failed_total', { reason: 'unstorable' })).toBe(1);
      expect(await metricValue(w, 'moderation_analysis_jobs_total', { outcome: 'error' })).toBe(0);
    });
  }
});

describe('a request the engine contract refuses', () => {
  it('is never sent: a match of 65 players is settled as skipped_invalid_request, too_many_players', async () => {
    const w = await worker();
    const players: SeedPlayer[] = Array.from({ length: 65 }, (_, i) => ({
      userId: `72000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
      events: [[1, 3000 + i, 4000, 0.2, '2026-02-28T10:00:00Z']],
    }));
    const matchId = await newMatch(players);
    await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.prefix });
    const jobId = rankedMatchJobId(matchId);
    expect(await stateAfterRun(w.queue, jobId, SETTLE_MS)).toBe('completed');
    const job = (await w.queue.getJob(jobId))!;
    expect(job.returnvalue).toMatchObject({ kind: 'skipped_invalid_request', reason: 'too_many_players' });
    expect(engine.requestCount()).toBe(0);
    expect(engine.requests()).toEqual([]);
    const run = await runRow(matchId);
    expect(run).toMatchObject({ status: 'skipped_invalid_request', attempts: 1, finished: true });
    expect(run?.last_failure).toBe('too_many_players: 65 players, the engine contract allows at most 64');
  });
});

describe('an analysed run', () => {
  it('stays analyzed when a duplicate delivery meets an engine outage (no deferral, no abandonment)', async () => {
    // maxDeferMs 1: an outage abandons a run at once, so a run that moved back would end abandoned.
    const w = await worker({ maxDeferMs: 1 });
    const matchId = await newMatch();
    detector.signals = [{ subjectUserId: A, reasonCode: 'fast', severity: 'high', score: 0.8 }];
    await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.prefix });
    const jobId = rankedMatchJobId(matchId);
    expect(await stateAfterRun(w.queue, jobId, SETTLE_MS)).toBe('completed');
    expect(await runRow(matchId)).toMatchObject({ status: 'analyzed', attempts: 1, last_failure: null });

    engine.setFault({ kind: 'status', code: 503 });
    expect(await requeueRankedMatch(w.queue, matchId)).toBe('queued');
    expect(await stateAfterRun(w.queue, jobId, SETTLE_MS)).toBe('completed');
    expect((await w.queue.getJob(jobId))?.returnvalue).toEqual({
      kind: 'already_analyzed',
      reason: 'http_5xx',
    });
    expect(await runRow(matchId)).toMatchObject({ status: 'analyzed', attempts: 1, last_failure: null });
    const signals = await db.pool.query('SELECT 1 FROM moderation_signals WHERE match_id = $1', [matchId]);
    expect(signals.rows).toHaveLength(1);
  });
});

describe('deferral', () => {
  it("waits as long as the engine's Retry-After asks, never the shorter backoff", async () => {
    // The harness's backoff is 30 ms with no jitter: the delay is exactly what the worker chose.
    const w = await worker();
    const matchId = await newMatch();
    engine.setFault({ kind: 'rate_limit', retryAfter: 4, times: 1 });
    await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.prefix });
    const jobId = rankedMatchJobId(matchId);
    expect(await stateAfterRun(w.queue, jobId, SETTLE_MS)).toBe('delayed');
    const job = (await w.queue.getJob(jobId))!;
    // BullMQ keeps the delay it was given, less the few ms between the worker's clock reading and its own.
    expect(job.delay).toBeGreaterThan(3_800);
    expect(job.delay).toBeLessThanOrEqual(4_000);
    expect(await runRow(matchId)).toMatchObject({ status: 'deferred', last_failure: 'rate_limited' });
    await job.promote();
    expect(await stateAfterRun(w.queue, jobId, SETTLE_MS)).toBe('completed');
  });
});

describe('review notifications of one match', () => {
  it('sends at most the cap one by one, then one summary, and nothing again on redelivery', async () => {
    // Only this match's rows in the outbox: earlier tests left theirs.
    await db.pool.query('DELETE FROM notification_outbox');
    const w = await worker({ maxNotifications: 3 });
    const matchId = await newMatch();
    detector.signals = Array.from({ length: 8 }, (_, i) => ({
      subjectUserId: i % 2 === 0 ? A : B,
      reasonCode: `flood_${i}`,
      severity: i === 7 ? 'critical' : 'high',
      score: 0.5 + i / 100,
      // Fixed, so a redelivered analysis is the same analysis (the engine would otherwise stamp now).
      occurredAt: '2026-02-28T10:00:00.000Z',
    }));
    const webhook = await startWebhookReceiver({ kind: 'ok' });
    const delivery = startOutboxDelivery({
      pool: db.pool,
      webhook: fixedWebhookUrl(`${webhook.url}/api/webhooks/1/cap`),
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      concurrency: 8,
      loop: false,
    });
    cleanups.push(async () => {
      await delivery.stop();
      await webhook.close();
    });
    await enqueueRankedMatchPersisted(w.queue, matchId, { prefix: w.prefix });
    const jobId = rankedMatchJobId(matchId);
    expect(await stateAfterRun(w.queue, jobId, SETTLE_MS)).toBe('completed');
    expect((await w.queue.getJob(jobId))?.returnvalue).toMatchObject({ signalCount: 8, outboxInserted: 4 });
    expect(await delivery.drainOnce()).toBe(4);
    await within(webhook.waitForCount(4), SETTLE_MS, 'four webhook messages');
    const titles = webhook.received.map((r) => (r.body as { embeds: { title: string }[] }).embeds[0]!.title);
    // The critical signal first, then the two earliest of the high ones, then the summary of the rest.
    expect(titles.sort()).toEqual([
      '5 more signals need review in one match',
      'CRITICAL signal needs review',
      'HIGH signal needs review',
      'HIGH signal needs review',
    ]);
    const summary = await db.pool.query(
      `SELECT payload_json->>'moreSignals' AS more, payload_json->>'matchId' AS match_id FROM notification_outbox
       WHERE dedupe_key = $1`,
      [matchSummaryDedupeKey(matchId)],
    );
    expect(summary.rows).toEqual([{ more: '5', match_id: matchId }]);

    expect(await requeueRankedMatch(w.queue, matchId)).toBe('queued');
    expect(await stateAfterRun(w.queue, jobId, SETTLE_MS)).toBe('completed');
    expect((await w.queue.getJob(jobId))?.returnvalue).toMatchObject({ signalCount: 8, outboxInserted: 0 });
    expect(await delivery.drainOnce()).toBe(0);
    const rows = await db.pool.query(
      'SELECT count(*)::int AS n FROM notification_outbox WHERE sent_at IS NOT NULL',
    );
    expect(rows.rows[0]).toEqual({ n: 4 });
    expect(webhook.received).toHaveLength(4);
  });
});
