import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import {
  openTestPool,
  startWebhookReceiver,
  type TempDatabase,
  type WebhookReceiver,
} from '@geoduels/test-support';
import type pg from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordPlayerReport } from '../reports/index.js';
import { createMigratedTempDatabase } from '../test-support/worker-harness.js';
import { type OutboxDelivery, type OutboxDeliveryOptions, startOutboxDelivery } from './delivery.js';
import { type QueuedSignalPayload, SIGNAL_QUEUED, signalDedupeKey } from './outbox-payload.js';

const TOKEN = 'sEcReT-wEbHoOk-ToKeN-0123456789';
const HOOK_PATH = `/api/webhooks/112233445566778899/${TOKEN}`;

let db: TempDatabase;
let pool: pg.Pool;
let hook: TestWebhook;
let clock: number;
let logs: string[];
let registry: Registry;
const running: OutboxDelivery[] = [];

beforeAll(async () => {
  db = await createMigratedTempDatabase('notify');
  pool = openTestPool(db.url, 6);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

beforeEach(async () => {
  await pool.query('TRUNCATE notification_outbox');
  hook = await startTestWebhook();
  // Ahead of the database clock, so rows created "now" are due.
  clock = Date.now() + 1_000;
  logs = [];
  registry = new Registry();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((delivery) => delivery.stop()));
  await hook.close();
});

function start(overrides: Partial<OutboxDeliveryOptions> = {}): OutboxDelivery {
  const logger = pino({ level: 'trace' }, { write: (line: string) => logs.push(line) });
  const delivery = startOutboxDelivery({
    pool,
    webhookUrl: hook.url,
    logger,
    registry,
    concurrency: 4,
    now: () => clock,
    loop: false,
    ...overrides,
  });
  running.push(delivery);
  return delivery;
}

describe('review notification delivery', () => {
  it('posts the exact Discord-compatible message and marks the row sent', async () => {
    const queued = queuedPayload({ severity: 'high', evidenceStrength: 'limited', score: 0.8 });
    const id = await insertQueued(queued);
    const delivery = start();

    expect(await delivery.drainOnce()).toBe(1);

    expect(hook.received).toHaveLength(1);
    const request = hook.received[0]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(HOOK_PATH);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({
      content: 'Moderation signal needs review: high',
      embeds: [
        {
          title: 'HIGH Player report needs review',
          description: `player\\_report\\_cheating on \`${queued.subjectUserId}\``,
          fields: [
            { name: 'Signal', value: `\`${queued.signalId}\``, inline: false },
            { name: 'Severity', value: 'high', inline: true },
            { name: 'Evidence', value: 'limited', inline: true },
            { name: 'Score', value: '0.8', inline: true },
            { name: 'Subject', value: `\`${queued.subjectUserId}\``, inline: false },
            { name: 'Source', value: 'Player report', inline: true },
            { name: 'Reason code', value: '`player_report_cheating`', inline: true },
            { name: 'Signal type', value: '`player_report`', inline: true },
            { name: 'Match', value: `\`${queued.matchId}\``, inline: false },
            { name: 'Reporter', value: `\`${queued.reporterUserId}\``, inline: false },
          ],
          timestamp: queued.occurredAt,
          color: 0xe67e22,
        },
      ],
      allowed_mentions: { parse: [] },
    });
    expect(await outboxRow(id)).toMatchObject({ attempts: 1, last_error: null, sent_at: expect.any(Date) });
    expect(await metric('moderation_notifications_sent_total')).toBe(1);
    expect(await delivery.drainOnce()).toBe(0);
    expect(hook.received).toHaveLength(1);
  });

  it('honours a Retry-After header on 429 and delivers once it has passed', async () => {
    const id = await insertQueued(queuedPayload());
    hook.respondNext((response) => response.writeHead(429, { 'retry-after': '7' }).end());
    const delivery = start();

    await delivery.drainOnce();
    const row = await outboxRow(id);
    expect(row.next_attempt_at.getTime()).toBe(clock + 7_000);
    expect(row).toMatchObject({
      attempts: 1,
      sent_at: null,
      last_error: 'rate_limited: HTTP 429, retry after 7000 ms',
    });
    expect(await metric('moderation_notifications_failed_total', { reason: 'rate_limited' })).toBe(1);

    clock += 6_999;
    expect(await delivery.drainOnce()).toBe(0);
    clock += 1;
    expect(await delivery.drainOnce()).toBe(1);
    expect(hook.received).toHaveLength(2);
    expect((await outboxRow(id)).sent_at).not.toBeNull();
  });

  it("honours Discord's JSON retry_after on 429", async () => {
    const id = await insertQueued(queuedPayload());
    hook.respondNext((response) =>
      response
        .writeHead(429, { 'content-type': 'application/json' })
        .end('{"message":"You are being rate limited.","retry_after":2.5,"global":false}'),
    );
    const delivery = start();

    await delivery.drainOnce();
    expect((await outboxRow(id)).next_attempt_at.getTime()).toBe(clock + 2_500);
    clock += 2_500;
    await delivery.drainOnce();
    expect((await outboxRow(id)).sent_at).not.toBeNull();
  });

  it('retries a 5xx on the capped schedule', async () => {
    const id = await insertQueued(queuedPayload());
    const delivery = start();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      hook.respondNext((response) => response.writeHead(503).end('upstream down'));
      await delivery.drainOnce();
      const row = await outboxRow(id);
      delays.push(row.next_attempt_at.getTime() - clock);
      clock = row.next_attempt_at.getTime();
    }
    expect(delays).toEqual([5_000, 15_000, 30_000]);
    expect(await outboxRow(id)).toMatchObject({ attempts: 3, last_error: 'http_5xx: HTTP 503' });
    expect(await metric('moderation_notifications_failed_total', { reason: 'http_5xx' })).toBe(3);
  });

  it('puts a rejected (4xx) notification on the long schedule with the error recorded', async () => {
    const id = await insertQueued(queuedPayload());
    hook.respondNext((response) =>
      response.writeHead(404).end('{"message": "Unknown Webhook", "code": 10015}'),
    );
    const delivery = start();

    await delivery.drainOnce();
    const row = await outboxRow(id);
    expect(row.next_attempt_at.getTime()).toBe(clock + 15 * 60_000);
    expect(row).toMatchObject({
      attempts: 1,
      sent_at: null,
      last_error: 'http_4xx: HTTP 404 {"message": "Unknown Webhook", "code": 10015}',
    });
    expect(await metric('moderation_notifications_failed_total', { reason: 'http_4xx' })).toBe(1);
    clock += 60_000;
    expect(await delivery.drainOnce()).toBe(0);
  });

  it('delivers once a webhook that refused connections comes back', async () => {
    const port = hook.port;
    await hook.close();
    const id = await insertQueued(queuedPayload());
    const delivery = start({ webhookUrl: `http://127.0.0.1:${port}${HOOK_PATH}` });

    await delivery.drainOnce();
    const failed = await outboxRow(id);
    expect(failed).toMatchObject({ attempts: 1, sent_at: null, last_error: 'network: ECONNREFUSED' });
    expect(failed.next_attempt_at.getTime()).toBe(clock + 5_000);

    hook = await startTestWebhook(port);
    clock += 5_000;
    expect(await delivery.drainOnce()).toBe(1);
    expect(hook.received).toHaveLength(1);
    expect(await outboxRow(id)).toMatchObject({ attempts: 2, last_error: null, sent_at: expect.any(Date) });
    expect(await metric('moderation_notifications_failed_total', { reason: 'network' })).toBe(1);
  });

  it('times out a webhook that hangs and retries the notification', async () => {
    const id = await insertQueued(queuedPayload());
    hook.respondNext(() => undefined);
    const delivery = start({ timeoutMs: 200 });

    await delivery.drainOnce();
    const row = await outboxRow(id);
    expect(row).toMatchObject({
      attempts: 1,
      sent_at: null,
      last_error: 'timeout: no response within 200 ms',
    });
    expect(row.next_attempt_at.getTime()).toBe(clock + 5_000);
    expect(await metric('moderation_notifications_failed_total', { reason: 'timeout' })).toBe(1);

    // The retry goes through a replica with the default timeout, so a slow machine cannot fail it.
    clock += 5_000;
    await start({ registry: new Registry() }).drainOnce();
    expect((await outboxRow(id)).sent_at).not.toBeNull();
    expect(hook.received).toHaveLength(2);
  });

  it('keeps a malformed outbox row and retries it on the long schedule', async () => {
    const good = await insertQueued(queuedPayload());
    const bad = await insertRow(SIGNAL_QUEUED, `bad-${randomUUID()}`, { signalId: 42 });
    const delivery = start();

    expect(await delivery.drainOnce()).toBe(2);
    expect((await outboxRow(good)).sent_at).not.toBeNull();
    const row = await outboxRow(bad);
    expect(row.last_error).toMatch(/^invalid_payload: signalId: /);
    expect(row.next_attempt_at.getTime()).toBe(clock + 15 * 60_000);
    expect(await metric('moderation_notifications_failed_total', { reason: 'invalid_payload' })).toBe(1);
  });

  it('leaves rows pending when no webhook is configured, with one log line and no per-row noise', async () => {
    await insertQueued(queuedPayload());
    await insertQueued(queuedPayload());
    const delivery = start({ webhookUrl: null, loop: true, pollIntervalMs: 5 });

    expect(await delivery.drainOnce()).toBe(0);
    await delivery.stop();

    const pending = await pool.query('SELECT attempts, sent_at FROM notification_outbox');
    expect(pending.rows).toEqual([
      { attempts: 0, sent_at: null },
      { attempts: 0, sent_at: null },
    ]);
    expect(logs).toHaveLength(1);
    expect(JSON.parse(logs[0]!)).toMatchObject({
      level: 30,
      msg: expect.stringContaining('MODERATION_WEBHOOK_URL'),
    });
    expect(hook.received).toHaveLength(0);
  });

  it('reports the backlog and the age of the oldest pending notification', async () => {
    await insertQueued(queuedPayload());
    await insertQueued(queuedPayload());
    await pool.query(`UPDATE notification_outbox SET created_at = $1`, [new Date(clock - 90_000)]);
    start({ webhookUrl: null });

    expect(await metric('moderation_outbox_backlog')).toBe(2);
    expect(await metric('moderation_outbox_oldest_pending_seconds')).toBe(90);
    await pool.query('UPDATE notification_outbox SET sent_at = now()');
    expect(await metric('moderation_outbox_backlog')).toBe(0);
    expect(await metric('moderation_outbox_oldest_pending_seconds')).toBe(0);
  });

  it('never writes the webhook secret to logs or stored errors', async () => {
    const rows = await Promise.all([1, 2, 3].map(() => insertQueued(queuedPayload())));
    // A webhook that echoes the request URL back in its error bodies.
    hook.respondNext((response, request) => response.writeHead(400).end(`bad request to ${request.path}`));
    hook.respondNext((response) => response.writeHead(401).end(`token ${TOKEN} invalid ${hook.url}`));
    hook.respondNext((response) => response.writeHead(429, { 'retry-after': '1' }).end());
    const delivery = start();

    await delivery.drainOnce();
    const answered = await lastErrors(rows);
    const refused = start({ webhookUrl: `http://127.0.0.1:1${HOOK_PATH}`, registry: new Registry() });
    clock += 20 * 60_000;
    await refused.drainOnce();
    await delivery.stop();
    await refused.stop();
    const unreachable = await lastErrors(rows);

    expect(answered.filter((error) => error.startsWith('http_4xx'))).toHaveLength(2);
    expect(answered.filter((error) => error.includes('****'))).toHaveLength(2);
    expect(unreachable).toEqual(Array(3).fill('network: ECONNREFUSED'));
    for (const text of [...logs, ...answered, ...unreachable]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('112233445566778899');
    }
    expect(logs.join('\n')).toContain('/api/webhooks/****');
    expect(logs.some((line) => JSON.parse(line).level === 40)).toBe(true);
  });

  it("delivers a new player report's notification with no risk engine anywhere", async () => {
    const [matchId, reporter, reported] = [randomUUID(), randomUUID(), randomUUID()];
    await pool.query('INSERT INTO users (id) VALUES ($1), ($2)', [reporter, reported]);
    await pool.query('INSERT INTO match_history (match_id) VALUES ($1)', [matchId]);
    await pool.query(
      `INSERT INTO ranked_guess_events (user_id, match_id, round_number, score, guess_ms, occurred_at)
       VALUES ($1, $2, 1, 5000, 900, now())`,
      [reported, matchId],
    );
    // The real clock and the background loop, exactly as the worker wires it: no engine client exists.
    const delivery = start({ now: undefined, loop: true, pollIntervalMs: 20 });

    const delivered = once(hook.events, 'request');
    const result = await recordPlayerReport(pool, {
      matchId,
      reporterUserId: reporter,
      reportedUserId: reported,
      category: 'cheating',
    });
    await delivered;
    // stop() waits for the in-flight delivery's bookkeeping, so the row is settled afterwards.
    await delivery.stop();

    expect(result.status).toBe('recorded');
    const signalId = (result as { signalId: string }).signalId;
    expect(hook.received).toHaveLength(1);
    expect(JSON.stringify(hook.received[0]?.body)).toContain(signalId);
    const row = await pool.query('SELECT attempts, sent_at FROM notification_outbox WHERE dedupe_key = $1', [
      signalDedupeKey(signalId),
    ]);
    expect(row.rows).toEqual([{ attempts: 1, sent_at: expect.any(Date) }]);
  });
});

function queuedPayload(overrides: Partial<QueuedSignalPayload> = {}): QueuedSignalPayload {
  return {
    signalId: randomUUID(),
    source: 'player_report',
    subjectUserId: randomUUID(),
    matchId: randomUUID(),
    reporterUserId: randomUUID(),
    signalType: 'player_report',
    severity: 'high',
    evidenceStrength: 'limited',
    reasonCode: 'player_report_cheating',
    detectorKey: null,
    score: 0.8,
    occurredAt: '2026-03-01T10:00:00.000Z',
    ...overrides,
  };
}

async function insertQueued(payload: QueuedSignalPayload): Promise<string> {
  return insertRow(SIGNAL_QUEUED, signalDedupeKey(payload.signalId), payload);
}

async function insertRow(type: string, dedupeKey: string, payload: unknown): Promise<string> {
  const result = await pool.query<{ id: string }>(
    'INSERT INTO notification_outbox (type, dedupe_key, payload_json) VALUES ($1, $2, $3) RETURNING id',
    [type, dedupeKey, payload],
  );
  return result.rows[0]!.id;
}

async function lastErrors(ids: string[]): Promise<string[]> {
  const result = await pool.query(
    'SELECT last_error FROM notification_outbox WHERE id = ANY($1) ORDER BY id',
    [ids],
  );
  return result.rows.map((row) => row.last_error as string);
}

async function outboxRow(id: string) {
  const result = await pool.query('SELECT * FROM notification_outbox WHERE id = $1', [id]);
  return result.rows[0] as {
    attempts: number;
    next_attempt_at: Date;
    sent_at: Date | null;
    last_error: string | null;
  };
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const found = (await registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  return found?.values.find((value) =>
    Object.entries(labels).every(([key, expected]) => value.labels[key] === expected),
  )?.value;
}

/** The shared webhook stand-in, its URL at the Discord-style path, with an event per request it answered. */
type TestWebhook = WebhookReceiver & { events: EventEmitter };

async function startTestWebhook(port = 0): Promise<TestWebhook> {
  const events = new EventEmitter();
  const receiver = await startWebhookReceiver(
    { kind: 'ok' },
    { port, onReceive: (request) => events.emit('request', request) },
  );
  return { ...receiver, url: `${receiver.url}${HOOK_PATH}`, events };
}
