import { randomUUID } from 'node:crypto';
import { openTestPool, type TempDatabase } from '@geoduels/test-support';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsers } from '../test-support/played-match.js';
import { createMigratedTempDatabase } from '../test-support/worker-harness.js';
import { SIGNAL_QUEUED, signalDedupeKey } from './outbox-payload.js';
import { parseQueuedSignalPayload } from './payload-schema.js';
import { queueSignalNotification } from './queue-notification.js';

let db: TempDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createMigratedTempDatabase('queue_notify');
  pool = openTestPool(db.url, 2);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** A stored engine signal about a new user; returns the signal id (text) and the subject. */
async function insertSignal(displayName = 'Ada Lovelace'): Promise<{ id: string; subject: string }> {
  const subject = randomUUID();
  await insertUsers(pool, [{ id: subject, displayName }]);
  const result = await pool.query<{ id: string }>(
    `INSERT INTO moderation_signals (subject_user_id, signal_type, source, severity, evidence_strength,
       detector_key, detector_version, reason_code, score, recommended_queue, occurred_at)
     VALUES ($1, 'gameplay_integrity', 'risk_engine', 'high', 'substantial', 'fast-precise', 'v1',
       'impossible_precision', 0.9, false, '2026-03-01T10:00:00.123456Z')
     RETURNING id`,
    [subject],
  );
  return { id: result.rows[0]!.id, subject };
}

async function outboxRow(signalId: string) {
  const result = await pool.query(
    `SELECT *, jsonb_typeof(payload_json->'signalId') AS signal_id_type FROM notification_outbox
     WHERE dedupe_key = $1`,
    [signalDedupeKey(signalId)],
  );
  return result.rows[0];
}

describe('queueing a review notification', () => {
  it("writes production's per-signal form, readable by the delivery loop", async () => {
    const { id, subject } = await insertSignal();

    expect(await queueSignalNotification(pool, id)).toBe(true);

    const row = await outboxRow(id);
    expect(row).toMatchObject({
      type: SIGNAL_QUEUED,
      dedupe_key: `moderation_signal:${id}:queued`,
      attempts: 0,
      sent_at: null,
      last_error: null,
      signal_id_type: 'number',
    });
    expect(row.payload_json).toEqual({
      signalId: Number(id),
      subjectUserId: subject,
      subjectName: 'Ada Lovelace',
      severity: 'high',
      evidenceStrength: 'substantial',
      reasonCode: 'impossible_precision',
      occurredAt: '2026-03-01T10:00:00.123Z',
    });
    expect(parseQueuedSignalPayload(row.payload_json).ok).toBe(true);
  });

  it('names the subject by uuid when the display name is empty', async () => {
    const { id, subject } = await insertSignal('');
    await queueSignalNotification(pool, id);
    expect((await outboxRow(id)).payload_json.subjectName).toBe(subject);
  });

  it('re-arms a delivered row when the payload changed, keeping its attempts', async () => {
    const { id } = await insertSignal();
    await queueSignalNotification(pool, id);
    await pool.query(
      `UPDATE notification_outbox SET sent_at = now(), attempts = 3, last_error = 'http_5xx: HTTP 502',
         next_attempt_at = now() + interval '1 hour' WHERE dedupe_key = $1`,
      [signalDedupeKey(id)],
    );
    await pool.query(`UPDATE moderation_signals SET severity = 'critical' WHERE id = $1`, [id]);

    expect(await queueSignalNotification(pool, id)).toBe(true);

    const row = await outboxRow(id);
    expect(row).toMatchObject({ attempts: 3, sent_at: null, last_error: null });
    expect(row.payload_json.severity).toBe('critical');
    const due = await pool.query('SELECT $1::timestamptz <= now() AS due', [row.next_attempt_at]);
    expect(due.rows[0].due).toBe(true);
  });

  it('leaves the row untouched when the payload is the same, so moderators are not pinged twice', async () => {
    const { id } = await insertSignal();
    await queueSignalNotification(pool, id);
    await pool.query(`UPDATE notification_outbox SET sent_at = now(), attempts = 1 WHERE dedupe_key = $1`, [
      signalDedupeKey(id),
    ]);
    const before = await pool.query(
      'SELECT row_to_json(o)::text AS row FROM notification_outbox o WHERE dedupe_key = $1',
      [signalDedupeKey(id)],
    );

    expect(await queueSignalNotification(pool, id)).toBe(false);

    const after = await pool.query(
      'SELECT row_to_json(o)::text AS row FROM notification_outbox o WHERE dedupe_key = $1',
      [signalDedupeKey(id)],
    );
    expect(after.rows[0].row).toBe(before.rows[0].row);
  });

  it("never changes another type's row that holds the same dedupe key", async () => {
    const { id } = await insertSignal();
    await pool.query(
      `INSERT INTO notification_outbox (type, dedupe_key, payload_json, sent_at)
       VALUES ('moderation_incident_queued', $1, '{"incidentId": 7}', now())`,
      [signalDedupeKey(id)],
    );

    expect(await queueSignalNotification(pool, id)).toBe(false);

    expect(await outboxRow(id)).toMatchObject({
      type: 'moderation_incident_queued',
      payload_json: { incidentId: 7 },
      sent_at: expect.any(Date),
    });
  });
});
