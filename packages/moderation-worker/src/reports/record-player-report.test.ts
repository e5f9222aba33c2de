import { randomUUID } from 'node:crypto';
import { openTestPool, type TempDatabase } from '@geoduels/test-support';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_QUEUED, signalDedupeKey } from '../notifications/outbox-payload.js';
import { createMigratedTempDatabase } from '../test-support/worker-harness.js';
import { type PlayerReportInput, recordPlayerReport } from './index.js';

let db: TempDatabase;
let pool: pg.Pool;
const matchId = randomUUID();
const reporter = randomUUID();
const reported = randomUUID();
const bystander = randomUUID();

beforeAll(async () => {
  db = await createMigratedTempDatabase('reports');
  pool = openTestPool(db.url, 4);
  await seedMatch(pool, matchId, [reporter, reported], [bystander]);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

function report(overrides: Partial<PlayerReportInput> = {}): PlayerReportInput {
  return { matchId, reporterUserId: reporter, reportedUserId: reported, category: 'cheating', ...overrides };
}

describe('recordPlayerReport', () => {
  it('stores a cheating report as a high, limited, recommended signal with one queued notification', async () => {
    const [match, from, about] = [randomUUID(), randomUUID(), randomUUID()];
    await seedMatch(pool, match, [from, about]);

    const result = await recordPlayerReport(pool, {
      matchId: match,
      reporterUserId: from,
      reportedUserId: about,
      category: 'cheating',
      reason: '  instant perfect guesses every round  ',
    });

    expect(result.status).toBe('recorded');
    const signalId = (result as { signalId: string }).signalId;
    const signal = await pool.query('SELECT * FROM moderation_signals WHERE id = $1', [signalId]);
    expect(signal.rows[0]).toMatchObject({
      subject_user_id: about,
      reporter_user_id: from,
      match_id: match,
      source: 'player_report',
      signal_type: 'player_report',
      severity: 'high',
      evidence_strength: 'limited',
      reason_code: 'player_report_cheating',
      score: 0.8,
      recommended_queue: true,
      detector_key: null,
      payload_json: { category: 'cheating', reason: 'instant perfect guesses every round' },
    });
    const outbox = await pool.query('SELECT * FROM notification_outbox WHERE dedupe_key = $1', [
      signalDedupeKey(signalId),
    ]);
    expect(outbox.rows).toHaveLength(1);
    expect(outbox.rows[0].type).toBe(SIGNAL_QUEUED);
    expect(outbox.rows[0].sent_at).toBeNull();
    expect(outbox.rows[0].payload_json).toEqual({
      signalId,
      source: 'player_report',
      subjectUserId: about,
      matchId: match,
      reporterUserId: from,
      signalType: 'player_report',
      severity: 'high',
      evidenceStrength: 'limited',
      reasonCode: 'player_report_cheating',
      detectorKey: null,
      score: 0.8,
      occurredAt: (signal.rows[0].occurred_at as Date).toISOString(),
    });
  });

  it.each([
    ['cheating', 'high', 0.8],
    ['boosting', 'high', 0.7],
    ['harassment', 'medium', 0.6],
    ['profile', 'low', 0.4],
    ['other', 'low', 0.3],
  ])('stores a %s report with severity %s and score %s', async (category, severity, score) => {
    const from = randomUUID();
    await seedUsers(pool, [from]);
    const result = await recordPlayerReport(pool, report({ reporterUserId: from, category }));
    const row = await signalRow((result as { signalId: string }).signalId);
    expect(row).toMatchObject({ severity, score, reason_code: `player_report_${category}` });
  });

  it('normalises the category and upper-case uuids, and stores an empty reason as none', async () => {
    const from = randomUUID();
    await seedUsers(pool, [from]);
    const result = await recordPlayerReport(
      pool,
      report({
        reporterUserId: from.toUpperCase(),
        reportedUserId: ` ${reported.toUpperCase()} `,
        category: ' HaRaSsMent ',
        reason: '   ',
      }),
    );
    expect(result.status).toBe('recorded');
    const row = await signalRow((result as { signalId: string }).signalId);
    expect(row).toMatchObject({ reporter_user_id: from, subject_user_id: reported, severity: 'medium' });
    expect(row.payload_json).toEqual({ category: 'harassment', reason: null });
  });

  it('accepts a reason of exactly 1000 characters', async () => {
    const from = randomUUID();
    await seedUsers(pool, [from]);
    const reason = '🙂'.repeat(1000);
    const result = await recordPlayerReport(pool, report({ reporterUserId: from, reason: ` ${reason}\n` }));
    expect(result.status).toBe('recorded');
    expect((await signalRow((result as { signalId: string }).signalId)).payload_json.reason).toBe(reason);
  });

  it.each<[string, Partial<PlayerReportInput>, string, string]>([
    ['a malformed match id', { matchId: 'not-a-uuid' }, 'matchId', 'invalid_uuid'],
    ['a malformed reporter id', { reporterUserId: '1234' }, 'reporterUserId', 'invalid_uuid'],
    ['a malformed reported id', { reportedUserId: '' }, 'reportedUserId', 'invalid_uuid'],
    ['a self-report', { reporterUserId: reported }, 'reportedUserId', 'same_user'],
    ['an unknown category', { category: 'griefing' }, 'category', 'invalid_category'],
    ['an empty category', { category: '  ' }, 'category', 'invalid_category'],
    ['a reason over 1000 characters', { reason: 'x'.repeat(1001) }, 'reason', 'reason_too_long'],
    ['a reason with a NUL character', { reason: 'ok\u0000then' }, 'reason', 'invalid_characters'],
    ['a reason with an unpaired surrogate', { reason: 'broken \ud83d text' }, 'reason', 'invalid_characters'],
    ['an unknown match', { matchId: randomUUID() }, 'matchId', 'unknown_match'],
    [
      'a player who did not play the match',
      { reportedUserId: bystander },
      'reportedUserId',
      'not_a_participant',
    ],
  ])('rejects %s, naming the field, and stores nothing', async (_label, overrides, field, reason) => {
    const before = await counts();
    const result = await recordPlayerReport(pool, report({ reporterUserId: randomUUID(), ...overrides }));
    expect(result).toEqual({ status: 'invalid', field, reason });
    expect(await counts()).toEqual(before);
  });

  it('answers a second report of the same player in the same match with duplicate and stores it once', async () => {
    const from = randomUUID();
    await seedUsers(pool, [from]);
    const first = await recordPlayerReport(pool, report({ reporterUserId: from }));
    const before = await counts();
    const second = await recordPlayerReport(
      pool,
      report({ reporterUserId: from, category: 'other', reason: 'again' }),
    );

    expect(first.status).toBe('recorded');
    expect(second).toEqual({ status: 'duplicate', signalId: (first as { signalId: string }).signalId });
    expect(await counts()).toEqual(before);
    expect((await signalRow((first as { signalId: string }).signalId)).reason_code).toBe(
      'player_report_cheating',
    );
  });

  it('records one report when the same report arrives concurrently', async () => {
    const from = randomUUID();
    await seedUsers(pool, [from]);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => recordPlayerReport(pool, report({ reporterUserId: from }))),
    );
    const statuses = results.map((result) => result.status).sort();
    expect(statuses).toEqual(['duplicate', 'duplicate', 'duplicate', 'recorded']);
    expect(new Set(results.map((result) => (result as { signalId: string }).signalId)).size).toBe(1);
    const stored = await pool.query(
      `SELECT (SELECT count(*)::int FROM moderation_signals WHERE reporter_user_id = $1) AS signals,
              (SELECT count(*)::int FROM notification_outbox WHERE payload_json->>'reporterUserId' = $1::text) AS outbox`,
      [from],
    );
    expect(stored.rows[0]).toEqual({ signals: 1, outbox: 1 });
  });

  it('lets two different reporters report the same player in the same match', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await seedUsers(pool, [a, b]);
    const first = await recordPlayerReport(pool, report({ reporterUserId: a }));
    const second = await recordPlayerReport(pool, report({ reporterUserId: b }));
    expect([first.status, second.status]).toEqual(['recorded', 'recorded']);
  });
});

async function signalRow(id: string) {
  return (await pool.query('SELECT * FROM moderation_signals WHERE id = $1', [id])).rows[0];
}

async function counts(): Promise<{ signals: number; outbox: number }> {
  const result = await pool.query(
    `SELECT (SELECT count(*)::int FROM moderation_signals) AS signals,
            (SELECT count(*)::int FROM notification_outbox) AS outbox`,
  );
  return result.rows[0];
}

async function seedUsers(db: pg.Pool, ids: string[]): Promise<void> {
  await db.query('INSERT INTO users (id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING', [ids]);
}

/** A finished ranked match in which `players` made three guesses each; `others` exist but did not play. */
async function seedMatch(
  db: pg.Pool,
  match: string,
  players: string[],
  others: string[] = [],
): Promise<void> {
  await seedUsers(db, [...players, ...others]);
  await db.query(`INSERT INTO match_history (match_id, finished_at) VALUES ($1, now())`, [match]);
  for (const player of players) {
    await db.query(
      `INSERT INTO ranked_guess_events (user_id, match_id, round_number, score, guess_ms, occurred_at)
       SELECT $1, $2, round, 4000, 9000, now() FROM generate_series(1, 3) AS round`,
      [player, match],
    );
  }
}
