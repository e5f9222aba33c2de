// Compatibility of the worker's notifications and player reports with production, on a
// production-shaped database (the API schema at version 53, then the worker's own migrations):
// the outbox is shared with production's moderation worker, which claims its own type
// (`moderation_incident_queued` in this era) with its claim as it runs it (PRODUCTION_CLAIM_SQL).
import { randomUUID } from 'node:crypto';
import {
  applyApiSchema,
  createTempDatabase,
  deletePrefix,
  messageIncludes,
  openTestPool,
  PRODUCTION_CLAIM_SQL,
  PRODUCTION_LEASE_SQL,
  pollUntil,
  REDIS_URL,
  startWebhookReceiver,
  startWorker,
  stopAllProcesses,
  type TempDatabase,
  uniquePrefix,
  type WebhookReceiver,
  type WorkerEnv,
  type WorkerProcess,
  workerCliBuilt,
} from '@geoduels/test-support';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateUp } from '../../packages/moderation-worker/src/db/migrate.js';
import {
  SIGNAL_QUEUED,
  signalDedupeKey,
} from '../../packages/moderation-worker/src/notifications/outbox-payload.js';
import { queueSignalNotification } from '../../packages/moderation-worker/src/notifications/queue-notification.js';
import { recordPlayerReport } from '../../packages/moderation-worker/src/reports/index.js';
import {
  insertPlayedMatch,
  insertUsers,
} from '../../packages/moderation-worker/src/test-support/played-match.js';
import { metricSum, scrapeMetrics } from '../support/metrics.js';
import { deliveredSignalId } from '../support/observe.js';

/** Production's moderation worker's own notification type in this era. */
const PRODUCTION_TYPE = 'moderation_incident_queued';

let db: TempDatabase;
let pool: pg.Pool;
const prefixes: string[] = [];
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  if (!workerCliBuilt()) throw new Error('build the worker first: npx turbo run build');
  db = await createTempDatabase('compat_notify');
  await applyApiSchema(db.url);
  await migrateUp(db.url);
  pool = openTestPool(db.url, 4);
});

afterAll(async () => {
  await stopAllProcesses();
  await Promise.all(receivers.map((receiver) => receiver.close()));
  for (const prefix of prefixes) await deletePrefix(REDIS_URL, prefix);
  await pool?.end();
  await db?.drop();
});

/** A production notification of its own type, as its API would queue it. */
async function insertProductionRow(
  overrides: { attempts?: number; lastError?: string; dueIn?: string } = {},
) {
  const result = await pool.query<{ id: string }>(
    `INSERT INTO notification_outbox (type, dedupe_key, payload_json, attempts, last_error, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, now() + $6::interval) RETURNING id`,
    [
      PRODUCTION_TYPE,
      `moderation_incident:${randomUUID()}:queued`,
      { incidentId: randomUUID(), kind: 'auto_flag' },
      overrides.attempts ?? 0,
      overrides.lastError ?? null,
      overrides.dueIn ?? '-1 minute',
    ],
  );
  return result.rows[0]!.id;
}

/** Every stored detail of production's rows, row versions included (`xmin`, `ctid` change on any UPDATE). */
async function productionRowsSnapshot(): Promise<string[]> {
  const result = await pool.query<{ snapshot: string }>(
    `SELECT xmin::text || ' ' || ctid::text || ' ' || row_to_json(o)::text AS snapshot
     FROM notification_outbox o WHERE type = $1 ORDER BY id`,
    [PRODUCTION_TYPE],
  );
  return result.rows.map((row) => row.snapshot);
}

/** A played match and a report filed by the worker's own recordPlayerReport; returns the signal id. */
async function fileReport(category = 'cheating', subjectName = 'Suspect'): Promise<string> {
  const [matchId, reporter, reported] = [randomUUID(), randomUUID(), randomUUID()];
  await insertPlayedMatch(pool, matchId, [reporter, { id: reported, displayName: subjectName }]);
  const result = await recordPlayerReport(pool, {
    matchId,
    reporterUserId: reporter,
    reportedUserId: reported,
    category,
  });
  if (result.status !== 'recorded') throw new Error(`report not recorded: ${JSON.stringify(result)}`);
  return result.signalId;
}

/** Marks the worker's pending rows left by earlier tests as sent, so only what a test files is due. */
async function settleWorkerRows(): Promise<void> {
  await pool.query(`UPDATE notification_outbox SET sent_at = now() WHERE type = $1 AND sent_at IS NULL`, [
    SIGNAL_QUEUED,
  ]);
}

async function outboxRow(signalId: string) {
  const result = await pool.query('SELECT * FROM notification_outbox WHERE dedupe_key = $1', [
    signalDedupeKey(signalId),
  ]);
  return result.rows[0];
}

async function startWorkerWith(extra: WorkerEnv, name: string): Promise<WorkerProcess> {
  const prefix = uniquePrefix('compat');
  prefixes.push(prefix);
  const worker = await startWorker(
    {
      POSTGRES_URL: db.url,
      POSTGRES_MAX_CONNS: '4',
      REDIS_URL,
      MODERATION_QUEUE_PREFIX: prefix,
      MODERATION_DRAIN_TIMEOUT: '5s',
      ...extra,
    },
    name,
  );
  await worker.waitReady();
  return worker;
}

async function receiver(): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver();
  receivers.push(started);
  return started;
}

describe('the shared notification outbox', () => {
  it("production's claim for its own type never sees the worker's rows", async () => {
    const dueWorkerRow = await fileReport();
    const sentWorkerRow = await fileReport('harassment');
    await pool.query(`UPDATE notification_outbox SET sent_at = now() WHERE dedupe_key = $1`, [
      signalDedupeKey(sentWorkerRow),
    ]);
    // The worker's due row is older than anything of production's, so an unfiltered claim would take it.
    await pool.query(
      `UPDATE notification_outbox SET next_attempt_at = now() - interval '1 day' WHERE dedupe_key = $1`,
      [signalDedupeKey(dueWorkerRow)],
    );
    const productionIds = [await insertProductionRow(), await insertProductionRow({ attempts: 2 })];

    const claimed: { id: string; type: string }[] = [];
    const client = await pool.connect();
    try {
      for (;;) {
        await client.query('begin');
        const row = (await client.query(PRODUCTION_CLAIM_SQL, [PRODUCTION_TYPE])).rows[0];
        if (row !== undefined) await client.query(PRODUCTION_LEASE_SQL, [row.id]);
        await client.query('commit');
        if (row === undefined) break;
        claimed.push({ id: row.id, type: row.type });
      }
    } finally {
      client.release();
    }

    expect(claimed.map((row) => row.type)).toEqual([PRODUCTION_TYPE, PRODUCTION_TYPE]);
    expect(claimed.map((row) => row.id).sort()).toEqual([...productionIds].sort());
    expect(await outboxRow(dueWorkerRow)).toMatchObject({ type: SIGNAL_QUEUED, attempts: 0, sent_at: null });
  });

  it("the worker's delivery loop never claims, reschedules or otherwise changes production's rows", async () => {
    await insertProductionRow();
    await insertProductionRow({ attempts: 3, lastError: 'discord: HTTP 502', dueIn: '-2 hours' });
    await insertProductionRow({ dueIn: '10 minutes' });
    await settleWorkerRows();
    const before = await productionRowsSnapshot();
    // Production's worker is mid-claim on one of its rows the whole time (its row lock held).
    const productionClient = await pool.connect();
    await productionClient.query('begin');
    const held = (await productionClient.query(PRODUCTION_CLAIM_SQL, [PRODUCTION_TYPE])).rows[0];
    expect(held?.type).toBe(PRODUCTION_TYPE);
    const hook = await receiver();
    const worker = await startWorkerWith(
      { MODERATION_WEBHOOK_URL: `${hook.url}/api/webhooks/1/compat-token` },
      'delivery',
    );
    try {
      // One delivery fails and is rescheduled, one is delivered; the backlog gauge is scraped.
      hook.setBehaviour({ kind: 'status', status: 503 });
      const failing = await fileReport();
      await pollUntil(async () => Boolean((await outboxRow(failing))?.last_error), {
        description: 'a rescheduled delivery',
      });
      hook.setBehaviour({ kind: 'ok' });
      const delivered = await fileReport();
      await pollUntil(async () => Boolean((await outboxRow(delivered))?.sent_at), {
        description: 'a delivered notification',
      });
      const metrics = (await scrapeMetrics(`${worker.baseUrl}/metrics`)).samples;
      // Only the worker's own pending row counts; production's three pending rows do not.
      expect(metricSum(metrics, 'moderation_outbox_backlog')).toBe(1);
      expect(metricSum(metrics, 'moderation_notifications_failed_total')).toBe(1);
      await worker.stop();

      expect(await productionRowsSnapshot()).toEqual(before);
      const named = hook.received.map((request) => deliveredSignalId(request.body));
      expect(named).toEqual([failing, delivered]);
    } finally {
      await productionClient.query('rollback');
      productionClient.release();
      await worker.stop();
    }
  });

  it('re-arms a delivered notification on a dedupe-key conflict only when its payload changed', async () => {
    const signalId = await fileReport('cheating', 'Old Name');
    await pool.query(
      `UPDATE notification_outbox SET sent_at = now(), attempts = 2, last_error = 'http_5xx: HTTP 502',
         next_attempt_at = now() + interval '1 hour' WHERE dedupe_key = $1`,
      [signalDedupeKey(signalId)],
    );
    const versionOf = async () =>
      (
        await pool.query(
          `SELECT xmin::text || row_to_json(o)::text AS v FROM notification_outbox o WHERE dedupe_key = $1`,
          [signalDedupeKey(signalId)],
        )
      ).rows[0].v as string;

    const unchanged = await versionOf();
    expect(await queueSignalNotification(pool, signalId)).toBe(false);
    expect(await versionOf()).toBe(unchanged);

    await pool.query(
      `UPDATE users SET display_name = 'New Name'
       WHERE id = (SELECT subject_user_id FROM moderation_signals WHERE id = $1)`,
      [signalId],
    );
    expect(await queueSignalNotification(pool, signalId)).toBe(true);
    const row = await pool.query(
      `SELECT type, attempts, sent_at, last_error, payload_json, next_attempt_at <= now() AS due
       FROM notification_outbox WHERE dedupe_key = $1`,
      [signalDedupeKey(signalId)],
    );
    expect(row.rows).toEqual([
      {
        type: SIGNAL_QUEUED,
        attempts: 2,
        sent_at: null,
        last_error: null,
        due: true,
        payload_json: expect.objectContaining({ signalId: Number(signalId), subjectName: 'New Name' }),
      },
    ]);
  });
});

describe('player reports', () => {
  // Production's values, from its report path.
  const PRODUCTION = {
    cheating: { severity: 'medium', score: 2 },
    boosting: { severity: 'medium', score: 2 },
    harassment: { severity: 'medium', score: 1.5 },
    profile: { severity: 'low', score: 1 },
    other: { severity: 'low', score: 1 },
  } as const;

  it.each([
    ['cheating', 'cheating'],
    [' Boosting ', 'boosting'],
    ['HARASSMENT', 'harassment'],
    ['profile', 'profile'],
    ['other', 'other'],
    ['griefing', 'other'],
  ] as const)('records category %j as production does (%s)', async (given, category) => {
    const [matchId, reporter, reported] = [randomUUID(), randomUUID(), randomUUID()];
    await insertPlayedMatch(pool, matchId, [reporter, { id: reported, displayName: '' }]);

    const result = await recordPlayerReport(pool, {
      matchId,
      reporterUserId: reporter,
      reportedUserId: reported,
      category: given,
      reason: category === 'cheating' ? 'always perfect' : '',
    });

    expect(result.status).toBe('recorded');
    const signalId = (result as { signalId: string }).signalId;
    const signal = (await pool.query('SELECT * FROM moderation_signals WHERE id = $1', [signalId])).rows[0];
    expect(signal).toMatchObject({
      subject_user_id: reported,
      reporter_user_id: reporter,
      match_id: matchId,
      source: 'player_report',
      signal_type: `player_report:${category}`,
      reason_code: category,
      evidence_strength: 'limited',
      recommended_queue: true,
      detector_key: null,
      detector_version: null,
      ...PRODUCTION[category],
      payload_json: category === 'cheating' ? { category, reason: 'always perfect' } : { category },
    });
    expect((await outboxRow(signalId)).payload_json).toEqual({
      signalId: Number(signalId),
      subjectUserId: reported,
      subjectName: reported,
      severity: PRODUCTION[category].severity,
      evidenceStrength: 'limited',
      reasonCode: category,
      occurredAt: (signal.occurred_at as Date).toISOString(),
    });
    // The row holds production's report dedupe key: production's own insert of it is refused there.
    await expect(
      pool.query(
        `INSERT INTO moderation_signals (subject_user_id, signal_type, source, severity, evidence_strength,
           reason_code, score, recommended_queue, reporter_user_id, match_id)
         VALUES ($1, 'player_report:other', 'player_report', 'low', 'limited', 'other', 1, true, $2, $3)`,
        [reported, reporter, matchId],
      ),
    ).rejects.toMatchObject({ code: '23505', constraint: 'idx_moderation_signals_report_dedupe' });
  });

  it('answers a repeated report as a duplicate, and refuses a self-report before the check constraint', async () => {
    const [matchId, reporter, reported] = [randomUUID(), randomUUID(), randomUUID()];
    await insertPlayedMatch(pool, matchId, [reporter, reported]);
    const report = { matchId, reporterUserId: reporter, reportedUserId: reported, category: 'cheating' };
    const first = await recordPlayerReport(pool, report);
    expect(await recordPlayerReport(pool, { ...report, category: 'profile' })).toEqual({
      status: 'duplicate',
      signalId: (first as { signalId: string }).signalId,
    });

    expect(await recordPlayerReport(pool, { ...report, reportedUserId: reporter })).toEqual({
      status: 'invalid',
      field: 'reportedUserId',
      reason: 'same_user',
    });
    const stored = await pool.query(
      'SELECT count(*)::int AS n FROM moderation_signals WHERE reporter_user_id = $1',
      [reporter],
    );
    expect(stored.rows[0].n).toBe(1);
  });

  it('requires a match_players row for the reported user in that match', async () => {
    const [matchId, reporter, reported, spectator] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await insertPlayedMatch(pool, matchId, [reporter, reported]);
    await insertUsers(pool, [spectator]);
    expect(
      await recordPlayerReport(pool, {
        matchId,
        reporterUserId: reporter,
        reportedUserId: spectator,
        category: 'other',
      }),
    ).toEqual({ status: 'invalid', field: 'reportedUserId', reason: 'not_a_participant' });
  });
});

describe('the webhook URL', () => {
  it('comes from site_settings moderation_settings.discordWebhookUrl when MODERATION_WEBHOOK_URL is unset, and the variable wins when set', async () => {
    const [fromSettings, fromEnv] = [await receiver(), await receiver()];
    await pool.query(
      `INSERT INTO site_settings (key, value_json) VALUES ('moderation_settings', $1)
       ON CONFLICT (key) DO UPDATE SET value_json = EXCLUDED.value_json`,
      [{ discordWebhookUrl: `  ${fromSettings.url}/api/webhooks/7/settings-token  ` }],
    );
    await settleWorkerRows();

    const first = await fileReport();
    const settingsWorker = await startWorkerWith({}, 'settings-webhook');
    try {
      await fromSettings.waitForCount(1);
      expect(deliveredSignalId(fromSettings.received[0]?.body)).toBe(first);
      expect(fromSettings.received[0]?.path).toBe('/api/webhooks/7/settings-token');
      const started = settingsWorker.logs.filter(messageIncludes('review notification delivery started'));
      expect(started).toMatchObject([
        { from: 'site_settings', webhook: `${fromSettings.url}/api/webhooks/****` },
      ]);
      expect(settingsWorker.logs.text()).not.toContain('settings-token');
    } finally {
      await settingsWorker.stop();
    }

    const second = await fileReport();
    const envWorker = await startWorkerWith(
      { MODERATION_WEBHOOK_URL: `${fromEnv.url}/api/webhooks/8/env-token` },
      'env-webhook',
    );
    try {
      await fromEnv.waitForCount(1);
      expect(deliveredSignalId(fromEnv.received[0]?.body)).toBe(second);
      expect(fromSettings.received).toHaveLength(1);
      expect(envWorker.logs.filter(messageIncludes('review notification delivery started'))).toMatchObject([
        { from: 'MODERATION_WEBHOOK_URL' },
      ]);
    } finally {
      await envWorker.stop();
    }
  });
});
