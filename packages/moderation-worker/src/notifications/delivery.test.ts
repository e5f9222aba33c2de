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
import { insertPlayedMatch } from '../test-support/played-match.js';
import { createMigratedTempDatabase } from '../test-support/worker-harness.js';
import { type OutboxDelivery, type OutboxDeliveryOptions, startOutboxDelivery } from './delivery.js';
import { type QueuedSignalPayload, SIGNAL_QUEUED, signalDedupeKey } from './outbox-payload.js';
import { fixedWebhookUrl, type WebhookSetting } from './webhook-url-source.js';

const TOKEN = 'sEcReT-wEbHoOk-ToKeN-0123456789';
const HOOK_PATH = `/api/webhooks/112233445566778899/${TOKEN}`;

let db: TempDatabase;
let pool: pg.Pool;
let hook: TestWebhook;
let clock: number;
let logs: string[];
let registry: Registry;
let nextSignalId = 1_000;
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
    webhook: fixedWebhookUrl(hook.url),
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
    const queued = queuedPayload({ severity: 'high', evidenceStrength: 'limited', subjectName: 'Ada_L' });
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
          title: 'HIGH signal needs review',
          description: 'cheating on Ada\\_L',
          fields: [
            { name: 'Signal', value: `\`${queued.signalId}\``, inline: false },
            { name: 'Severity', value: 'high', inline: true },
            { name: 'Evidence', value: 'limited', inline: true },
            { name: 'Reason code', value: '`cheating`', inline: true },
            { name: 'Subject', value: 'Ada\\_L', inline: false },
            { name: 'Subject id', value: `\`${queued.subjectUserId}\``, inline: false },
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

  it('counts the attempt and leases the row for five minutes when it claims it', async () => {
    const id = await insertQueued(queuedPayload());
    let answer: () => void = () => undefined;
    hook.respondNext((response) => {
      answer = () => response.writeHead(204).end();
    });
    const delivery = start();

    const draining = delivery.drainOnce();
    await once(hook.events, 'request');
    const leased = await outboxRow(id);
    expect(leased).toMatchObject({ attempts: 1, sent_at: null });
    expect(leased.next_attempt_at.getTime()).toBe(clock + 5 * 60_000);
    // Another replica finds nothing due while the POST is in flight.
    clock += 5 * 60_000 - 1;
    expect(await start({ registry: new Registry() }).drainOnce()).toBe(0);
    answer();
    expect(await draining).toBe(1);
    expect(await outboxRow(id)).toMatchObject({ attempts: 1, sent_at: expect.any(Date) });
  });

  it('claims the oldest due rows first, by next attempt time and then id', async () => {
    const [a, b, c] = [queuedPayload(), queuedPayload(), queuedPayload()];
    const idA = await insertQueued(a);
    const idB = await insertQueued(b);
    const idC = await insertQueued(c);
    await pool.query('UPDATE notification_outbox SET next_attempt_at = $1 WHERE id = ANY($2)', [
      new Date(clock - 60_000),
      [idA, idB],
    ]);
    await pool.query('UPDATE notification_outbox SET next_attempt_at = $1 WHERE id = $2', [
      new Date(clock - 120_000),
      idC,
    ]);
    const delivery = start({ concurrency: 1 });

    for (let round = 0; round < 3; round += 1) expect(await delivery.drainOnce()).toBe(1);
    expect(hook.received.map((request) => deliveredSignal(request.body))).toEqual(
      [c, a, b].map((payload) => payload.signalId),
    );
  });

  it('dead-letters a row whose last allowed attempt failed: kept, never claimed again, counted and logged once', async () => {
    const doomed = await insertQueued(queuedPayload());
    hook.setBehaviour({ kind: 'status', status: 503 });
    const delivery = start({ maxAttempts: 3 });

    for (let attempt = 1; attempt <= 3; attempt += 1) {
      expect(await delivery.drainOnce()).toBe(1);
      expect(await outboxRow(doomed)).toMatchObject({ attempts: attempt, sent_at: null });
      clock += 60 * 60_000;
    }
    const dead = await outboxRow(doomed);
    expect(dead).toMatchObject({ attempts: 3, sent_at: null });
    expect(dead.next_attempt_at).toBe(Number.POSITIVE_INFINITY);
    expect(dead.last_error).toBe('dead-lettered after 3 attempts; last: http_5xx: HTTP 503');

    // However long one waits, it is not posted again.
    const posted = hook.received.length;
    clock += 365 * 86_400_000;
    expect(await delivery.drainOnce()).toBe(0);
    expect(hook.received).toHaveLength(posted);

    expect(await metric('moderation_outbox_dead_letters')).toBe(1);
    expect(await metric('moderation_outbox_backlog')).toBe(0);
    expect(await metric('moderation_outbox_oldest_pending_seconds')).toBe(0);
    expect(await metric('moderation_notifications_dead_lettered_total')).toBe(1);
    const lines = logs.map((line) => JSON.parse(line)).filter((line) => line.msg.includes('dead-lettered'));
    expect(lines).toEqual([expect.objectContaining({ level: 40, outboxId: doomed, attempts: 3 })]);
  });

  it('gives a dead letter re-armed with new content by its producer another attempt', async () => {
    const id = await insertQueued(queuedPayload());
    hook.setBehaviour({ kind: 'status', status: 500 });
    const delivery = start({ maxAttempts: 1 });
    await delivery.drainOnce();
    expect((await outboxRow(id)).next_attempt_at).toBe(Number.POSITIVE_INFINITY);

    // What queueSignalNotification's re-arm does (production's too): new payload, due now.
    await pool.query(
      `UPDATE notification_outbox SET payload_json = payload_json || '{"severity": "high"}',
         next_attempt_at = $2, sent_at = NULL, last_error = NULL WHERE id = $1`,
      [id, new Date(clock)],
    );
    hook.setBehaviour({ kind: 'ok' });
    expect(await delivery.drainOnce()).toBe(1);
    expect(await outboxRow(id)).toMatchObject({ attempts: 2, sent_at: expect.any(Date) });
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
    expect(delays).toEqual([15_000, 30_000, 60_000]);
    expect(await outboxRow(id)).toMatchObject({ attempts: 3, last_error: 'http_5xx: HTTP 503' });
    expect(await metric('moderation_notifications_failed_total', { reason: 'http_5xx' })).toBe(3);
  });

  it('retries a rejected (4xx) notification on the same schedule with the error recorded', async () => {
    const id = await insertQueued(queuedPayload());
    hook.respondNext((response) =>
      response.writeHead(404).end('{"message": "Unknown Webhook", "code": 10015}'),
    );
    const delivery = start();

    await delivery.drainOnce();
    const row = await outboxRow(id);
    expect(row.next_attempt_at.getTime()).toBe(clock + 15_000);
    expect(row).toMatchObject({
      attempts: 1,
      sent_at: null,
      last_error: 'http_4xx: HTTP 404 {"message": "Unknown Webhook", "code": 10015}',
    });
    expect(await metric('moderation_notifications_failed_total', { reason: 'http_4xx' })).toBe(1);
    clock += 14_999;
    expect(await delivery.drainOnce()).toBe(0);
    clock += 1;
    expect(await delivery.drainOnce()).toBe(1);
  });

  it('cuts the stored error to 1000 characters', async () => {
    const id = await insertQueued(queuedPayload());
    hook.respondNext((response) => response.writeHead(400).end(`rejected: ${'x'.repeat(5_000)}`));
    const delivery = start();

    await delivery.drainOnce();
    const error = (await outboxRow(id)).last_error!;
    expect(error).toHaveLength(1000);
    expect(error.startsWith('http_4xx: HTTP 400 rejected: xxx')).toBe(true);
  });

  it('delivers once a webhook that refused connections comes back', async () => {
    const port = hook.port;
    await hook.close();
    const id = await insertQueued(queuedPayload());
    const delivery = start({ webhook: fixedWebhookUrl(`http://127.0.0.1:${port}${HOOK_PATH}`) });

    await delivery.drainOnce();
    const failed = await outboxRow(id);
    expect(failed).toMatchObject({ attempts: 1, sent_at: null, last_error: 'network: ECONNREFUSED' });
    expect(failed.next_attempt_at.getTime()).toBe(clock + 15_000);

    hook = await startTestWebhook(port);
    clock += 15_000;
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
    expect(row.next_attempt_at.getTime()).toBe(clock + 15_000);
    expect(await metric('moderation_notifications_failed_total', { reason: 'timeout' })).toBe(1);

    // The retry goes through a replica with the default timeout, so a slow machine cannot fail it.
    clock += 15_000;
    await start({ registry: new Registry() }).drainOnce();
    expect((await outboxRow(id)).sent_at).not.toBeNull();
    expect(hook.received).toHaveLength(2);
  });

  it('keeps a row whose payload cannot be read, pushed a day out with the problem recorded', async () => {
    const good = await insertQueued(queuedPayload());
    const bad = await insertRow(SIGNAL_QUEUED, `moderation_signal:bad-${randomUUID()}:queued`, {
      signalId: 'not-a-number',
    });
    const delivery = start();

    expect(await delivery.drainOnce()).toBe(2);
    expect((await outboxRow(good)).sent_at).not.toBeNull();
    const row = await outboxRow(bad);
    expect(row).toMatchObject({ attempts: 1, sent_at: null });
    expect(row.last_error).toMatch(/^invalid_payload: signalId: /);
    expect(row.next_attempt_at.getTime()).toBe(clock + 24 * 3_600_000);
    expect(await metric('moderation_notifications_failed_total', { reason: 'invalid_payload' })).toBe(1);
    expect(hook.received).toHaveLength(1);
    clock += 24 * 3_600_000;
    expect(await delivery.drainOnce()).toBe(1);
    expect(await outboxRow(bad)).toMatchObject({ attempts: 2, sent_at: null });
  });

  it('leaves rows pending when no webhook is configured, with one log line and no per-row noise', async () => {
    await insertQueued(queuedPayload());
    await insertQueued(queuedPayload());
    const delivery = start({ webhook: fixedWebhookUrl(null), loop: true, pollIntervalMs: 5 });

    expect(await delivery.drainOnce()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await delivery.stop();

    const pending = await pool.query('SELECT attempts, sent_at FROM notification_outbox');
    expect(pending.rows).toEqual([
      { attempts: 0, sent_at: null },
      { attempts: 0, sent_at: null },
    ]);
    expect(logs).toHaveLength(1);
    expect(JSON.parse(logs[0]!)).toMatchObject({
      level: 30,
      msg: expect.stringMatching(/MODERATION_WEBHOOK_URL.*discordWebhookUrl/),
    });
    expect(hook.received).toHaveLength(0);
  });

  it('follows the webhook setting as it changes, logging each change once and the URL never', async () => {
    await insertQueued(queuedPayload());
    let setting: WebhookSetting = { kind: 'none' };
    const delivery = start({ webhook: { current: async () => setting } });

    expect(await delivery.drainOnce()).toBe(0);
    setting = { kind: 'invalid', problem: 'must use http: or https: (got ftp:)' };
    expect(await delivery.drainOnce()).toBe(0);
    expect(await delivery.drainOnce()).toBe(0);
    setting = { kind: 'url', url: hook.url, origin: 'site_settings' };
    expect(await delivery.drainOnce()).toBe(1);
    expect(hook.received).toHaveLength(1);
    await insertQueued(queuedPayload());
    setting = { kind: 'url', url: `${hook.url}-rotated`, origin: 'site_settings' };
    expect(await delivery.drainOnce()).toBe(1);
    expect(hook.received.at(-1)?.path).toBe(`${HOOK_PATH}-rotated`);

    const lines = logs.map((line) => JSON.parse(line) as { level: number; msg: string; from?: string });
    expect(lines.map((line) => [line.level, line.msg.split(':')[0]])).toEqual([
      [
        30,
        'MODERATION_WEBHOOK_URL is not set and site_settings moderation_settings.discordWebhookUrl is empty',
      ],
      [40, 'site_settings moderation_settings.discordWebhookUrl is not a usable webhook URL'],
      [30, 'review notification delivery started'],
      [30, 'moderation webhook URL changed'],
    ]);
    expect(lines[2]).toMatchObject({
      from: 'site_settings',
      webhook: 'http://127.0.0.1:' + hook.port + '/api/webhooks/****',
    });
    expect(logs.join('\n')).not.toContain(TOKEN);
  });

  it('reports the backlog and the age of the oldest pending notification', async () => {
    await insertQueued(queuedPayload());
    await insertQueued(queuedPayload());
    await pool.query(`UPDATE notification_outbox SET created_at = $1`, [new Date(clock - 90_000)]);
    await insertRow('moderation_incident_queued', `incident:${randomUUID()}`, { incidentId: 1 });
    start({ webhook: fixedWebhookUrl(null) });

    // Only this worker's own type counts: another service's pending row is not its backlog.
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
    const refused = start({
      webhook: fixedWebhookUrl(`http://127.0.0.1:1${HOOK_PATH}`),
      registry: new Registry(),
    });
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

  it('redacts, then cuts: no piece of the secret of 8 characters or more is stored or logged', async () => {
    const rows = await Promise.all([1, 2, 3, 4].map(() => insertQueued(queuedPayload())));
    const secretPieces = (secret: string) =>
      Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));
    // Half a token echoed; the token where a cut at 1000 characters would split it; the token
    // across the 16 KiB the worker reads of an error body; the id and token percent-encoded.
    hook.respondNext((response) => response.writeHead(403).end(`unknown token ${TOKEN.slice(4, 20)}...`));
    hook.respondNext((response) =>
      response.writeHead(404).end(`${'x'.repeat(960)} webhook ${TOKEN} not found`),
    );
    hook.respondNext((response) =>
      response.writeHead(400).end(`${'y'.repeat(16 * 1024 - 12)}${TOKEN}${'z'.repeat(100)}`),
    );
    hook.respondNext((response) =>
      response.writeHead(401).end(`bad ${encodeURIComponent(`112233445566778899/${TOKEN}`)}`),
    );
    const delivery = start();

    await delivery.drainOnce();
    await delivery.stop();
    const stored = await lastErrors(rows);

    expect(stored.filter((error) => error.startsWith('http_4xx'))).toHaveLength(4);
    for (const text of [...logs, ...stored]) {
      for (const piece of [...secretPieces(TOKEN), ...secretPieces('112233445566778899')]) {
        expect(text).not.toContain(piece);
      }
    }
    // The cut comes after the redaction: the long body keeps its ending up to 1000 characters.
    expect(stored.some((error) => error.length === 1000 && error.includes('webhook ****'))).toBe(true);
  });

  it("delivers a new player report's notification with no risk engine anywhere", async () => {
    const [matchId, reporter, reported] = [randomUUID(), randomUUID(), randomUUID()];
    await insertPlayedMatch(pool, matchId, [reporter, { id: reported, displayName: 'Suspect' }]);
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
    expect(deliveredSignal(hook.received[0]?.body)).toBe(Number(signalId));
    expect(JSON.stringify(hook.received[0]?.body)).toContain('Suspect');
    const row = await pool.query('SELECT attempts, sent_at FROM notification_outbox WHERE dedupe_key = $1', [
      signalDedupeKey(signalId),
    ]);
    expect(row.rows).toEqual([{ attempts: 1, sent_at: expect.any(Date) }]);
  });
});

function queuedPayload(overrides: Partial<QueuedSignalPayload> = {}): QueuedSignalPayload {
  nextSignalId += 1;
  return {
    signalId: nextSignalId,
    subjectUserId: randomUUID(),
    subjectName: 'Suspect',
    severity: 'medium',
    evidenceStrength: 'limited',
    reasonCode: 'cheating',
    occurredAt: '2026-03-01T10:00:00.000Z',
    ...overrides,
  };
}

/** The signal id a delivered review message names (field "Signal"). */
function deliveredSignal(body: unknown): number | undefined {
  const fields = (body as { embeds?: { fields?: { name: string; value: string }[] }[] }).embeds?.[0]?.fields;
  const value = fields?.find((field) => field.name === 'Signal')?.value;
  return value === undefined ? undefined : Number(value.replaceAll('`', ''));
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
