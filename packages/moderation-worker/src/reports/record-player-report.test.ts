import { randomUUID } from 'node:crypto';
import { openTestPool, type TempDatabase } from '@geoduels/test-support';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_QUEUED, signalDedupeKey } from '../notifications/outbox-payload.js';
import { insertPlayedMatch, insertUsers } from '../test-support/played-match.js';
import { createMigratedTempDatabase } from '../test-support/worker-harness.js';
import {
  describeReportRejection,
  normalizeReportCategory,
  type PlayerReportInput,
  REPORT_REJECTION_MESSAGES,
  REPORT_REJECTIONS,
  recordPlayerReport,
} from './index.js';
import { isInvisibleOrReordering } from './reason-text.js';

let db: TempDatabase;
let pool: pg.Pool;
const matchId = randomUUID();
const reporter = randomUUID();
const reported = randomUUID();
const bystander = randomUUID();

beforeAll(async () => {
  db = await createMigratedTempDatabase('reports');
  pool = openTestPool(db.url, 4);
  await insertPlayedMatch(pool, matchId, [reporter, { id: reported, displayName: 'Suspect' }], [bystander]);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

function report(overrides: Partial<PlayerReportInput> = {}): PlayerReportInput {
  return { matchId, reporterUserId: reporter, reportedUserId: reported, category: 'cheating', ...overrides };
}

/** A reporter who played the shared match but has not reported anyone yet. */
async function newReporter(): Promise<string> {
  const id = randomUUID();
  await insertUsers(pool, [id]);
  await pool.query('INSERT INTO match_players (match_id, user_id, ended_at) VALUES ($1, $2, now())', [
    matchId,
    id,
  ]);
  return id;
}

describe('recordPlayerReport', () => {
  it('stores a cheating report as production does, with its notification in the per-signal form', async () => {
    const [match, from, about] = [randomUUID(), randomUUID(), randomUUID()];
    await insertPlayedMatch(pool, match, [from, { id: about, displayName: 'Teleporter' }]);

    const result = await recordPlayerReport(pool, {
      matchId: match,
      reporterUserId: from,
      reportedUserId: about,
      category: 'cheating',
      reason: '  instant perfect guesses every round  ',
    });

    expect(result).toEqual({ status: 'recorded', signalId: expect.stringMatching(/^\d+$/) });
    const signalId = (result as { signalId: string }).signalId;
    const signal = await signalRow(signalId);
    expect(signal).toMatchObject({
      subject_user_id: about,
      reporter_user_id: from,
      match_id: match,
      source: 'player_report',
      signal_type: 'player_report:cheating',
      severity: 'medium',
      evidence_strength: 'limited',
      reason_code: 'cheating',
      score: 2,
      recommended_queue: true,
      detector_key: null,
      detector_version: null,
      payload_json: { category: 'cheating', reason: 'instant perfect guesses every round' },
    });
    const outbox = await pool.query('SELECT * FROM notification_outbox WHERE dedupe_key = $1', [
      `moderation_signal:${signalId}:queued`,
    ]);
    expect(outbox.rows).toHaveLength(1);
    expect(outbox.rows[0]).toMatchObject({ type: SIGNAL_QUEUED, sent_at: null, attempts: 0 });
    expect(outbox.rows[0].payload_json).toEqual({
      signalId: Number(signalId),
      subjectUserId: about,
      subjectName: 'Teleporter',
      severity: 'medium',
      evidenceStrength: 'limited',
      reasonCode: 'cheating',
      occurredAt: (signal.occurred_at as Date).toISOString(),
    });
  });

  it.each([
    ['cheating', 'medium', 2],
    ['boosting', 'medium', 2],
    ['harassment', 'medium', 1.5],
    ['profile', 'low', 1],
    ['other', 'low', 1],
  ])('stores a %s report with severity %s and score %s', async (category, severity, score) => {
    const result = await recordPlayerReport(pool, report({ reporterUserId: await newReporter(), category }));
    expect(await signalRow((result as { signalId: string }).signalId)).toMatchObject({
      severity,
      score,
      signal_type: `player_report:${category}`,
      reason_code: category,
      payload_json: { category },
    });
  });

  it.each([
    ['griefing', 'an unknown category'],
    ['  ', 'a blank category'],
    ['', 'an empty category'],
    ['cheating!', 'a category with extra characters'],
  ])('records %j (%s) as other', async (category) => {
    const result = await recordPlayerReport(pool, report({ reporterUserId: await newReporter(), category }));
    expect(result.status).toBe('recorded');
    expect(await signalRow((result as { signalId: string }).signalId)).toMatchObject({
      signal_type: 'player_report:other',
      reason_code: 'other',
      severity: 'low',
      payload_json: { category: 'other' },
    });
  });

  it('normalises the category and upper-case uuids, and leaves an empty reason out of the payload', async () => {
    const from = await newReporter();
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
    expect(row.payload_json).toEqual({ category: 'harassment' });
  });

  it('accepts a reason of exactly 1000 characters', async () => {
    const reason = '🙂'.repeat(1000);
    const result = await recordPlayerReport(
      pool,
      report({ reporterUserId: await newReporter(), reason: ` ${reason}\n` }),
    );
    expect(result.status).toBe('recorded');
    expect((await signalRow((result as { signalId: string }).signalId)).payload_json.reason).toBe(reason);
  });

  it.each<[string, Partial<PlayerReportInput>, string, string]>([
    ['a malformed match id', { matchId: 'not-a-uuid' }, 'matchId', 'invalid_uuid'],
    ['a malformed reporter id', { reporterUserId: '1234' }, 'reporterUserId', 'invalid_uuid'],
    ['a malformed reported id', { reportedUserId: '' }, 'reportedUserId', 'invalid_uuid'],
    ['a self-report', { reporterUserId: reported }, 'reportedUserId', 'same_user'],
    [
      'a self-report in another case',
      { reporterUserId: reported.toUpperCase() },
      'reportedUserId',
      'same_user',
    ],
    ['a reason over 1000 characters', { reason: 'x'.repeat(1001) }, 'reason', 'reason_too_long'],
    ['a reason with an unpaired surrogate', { reason: 'broken \ud83d text' }, 'reason', 'invalid_characters'],
    ['an unknown match', { matchId: randomUUID() }, 'matchId', 'unknown_match'],
    [
      'a player who did not play the match',
      { reportedUserId: bystander },
      'reportedUserId',
      'not_a_participant',
    ],
    ['an unknown reporter', { reporterUserId: randomUUID() }, 'reporterUserId', 'unknown_user'],
    [
      'a reporter who did not play the match',
      { reporterUserId: bystander },
      'reporterUserId',
      'reporter_not_in_match',
    ],
  ])('rejects %s, naming the field, and stores nothing', async (_label, overrides, field, reason) => {
    const before = await counts();
    const result = await recordPlayerReport(pool, report(overrides));
    expect(result).toEqual({ status: 'invalid', field, reason });
    expect(await counts()).toEqual(before);
  });

  it('answers a second report of the same player in the same match with duplicate and stores it once', async () => {
    const from = await newReporter();
    const first = await recordPlayerReport(pool, report({ reporterUserId: from }));
    const before = await counts();
    const second = await recordPlayerReport(
      pool,
      report({ reporterUserId: from, category: 'other', reason: 'again' }),
    );

    expect(first.status).toBe('recorded');
    expect(second).toEqual({ status: 'duplicate', signalId: (first as { signalId: string }).signalId });
    expect(await counts()).toEqual(before);
    expect(await signalRow((first as { signalId: string }).signalId)).toMatchObject({
      reason_code: 'cheating',
      payload_json: { category: 'cheating' },
    });
  });

  it('records one report when the same report arrives concurrently', async () => {
    const from = await newReporter();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => recordPlayerReport(pool, report({ reporterUserId: from }))),
    );
    const statuses = results.map((result) => result.status).sort();
    expect(statuses).toEqual(['duplicate', 'duplicate', 'duplicate', 'recorded']);
    const ids = new Set(results.map((result) => (result as { signalId: string }).signalId));
    expect(ids.size).toBe(1);
    const stored = await pool.query(
      `SELECT (SELECT count(*)::int FROM moderation_signals WHERE reporter_user_id = $1) AS signals,
              (SELECT count(*)::int FROM notification_outbox WHERE dedupe_key = $2) AS outbox`,
      [from, signalDedupeKey([...ids][0]!)],
    );
    expect(stored.rows[0]).toEqual({ signals: 1, outbox: 1 });
  });

  it('lets two different reporters report the same player in the same match', async () => {
    const [a, b] = [await newReporter(), await newReporter()];
    const first = await recordPlayerReport(pool, report({ reporterUserId: a }));
    const second = await recordPlayerReport(pool, report({ reporterUserId: b }));
    expect([first.status, second.status]).toEqual(['recorded', 'recorded']);
  });
});

describe('player report reason text', () => {
  it('is stored without control or bidirectional-override characters, line breaks kept', async () => {
    const raw =
      '\u202eevil\u202c name\u2066x\u2069 \u200e\u200f\u061c said\u0000 \u0007bell\u001b[31mred\u009b\r\nnext\tline\u007f 👩‍💻';
    const result = await recordPlayerReport(
      pool,
      report({ reporterUserId: await newReporter(), reason: raw }),
    );
    expect(result.status).toBe('recorded');
    const stored = (await signalRow((result as { signalId: string }).signalId)).payload_json.reason;
    expect(stored).toBe('evil namex  said bell[31mred\nnext line 👩‍💻');
    expect(
      [...stored].filter((char: string) => isInvisibleOrReordering(char.charCodeAt(0)) && char !== '\n'),
    ).toEqual([]);
  });

  it('leaves the reason out when nothing but invisible characters was sent', async () => {
    const result = await recordPlayerReport(
      pool,
      report({ reporterUserId: await newReporter(), reason: '\u202e\u0000\u200f \u2066' }),
    );
    expect((await signalRow((result as { signalId: string }).signalId)).payload_json).toEqual({
      category: 'cheating',
    });
  });

  it('counts the length after cleaning', async () => {
    const result = await recordPlayerReport(
      pool,
      report({ reporterUserId: await newReporter(), reason: `${'a'.repeat(1000)}${'\u202e'.repeat(50)}` }),
    );
    expect(result.status).toBe('recorded');
  });
});

describe('the per-reporter rate limit', () => {
  const limit = { maxReports: 3, windowMs: 60_000 };

  /** A match the reporter played with `count` others, all reportable. */
  async function crowd(count: number): Promise<{ match: string; from: string; others: string[] }> {
    const [match, from] = [randomUUID(), randomUUID()];
    const others = Array.from({ length: count }, () => randomUUID());
    await insertPlayedMatch(pool, match, [from, ...others]);
    return { match, from, others };
  }

  it('refuses the report past the limit with rate_limited and stores nothing of it, until the window has passed', async () => {
    const { match, from, others } = await crowd(5);
    let now = new Date('2026-05-01T12:00:00Z');
    const options = { rateLimit: limit, now: () => now };
    const file = (about: string) =>
      recordPlayerReport(
        pool,
        { matchId: match, reporterUserId: from, reportedUserId: about, category: 'cheating' },
        options,
      );

    for (const about of others.slice(0, 3)) expect((await file(about)).status).toBe('recorded');
    const before = await counts();
    now = new Date(now.getTime() + 59_000);
    expect(await file(others[3]!)).toEqual({
      status: 'invalid',
      field: 'reporterUserId',
      reason: 'rate_limited',
    });
    expect(await counts()).toEqual(before);
    // A repeat of a stored report is still answered as a duplicate, and costs nothing.
    expect((await file(others[0]!)).status).toBe('duplicate');

    now = new Date(now.getTime() + 1_000);
    expect((await file(others[3]!)).status).toBe('recorded');
    expect((await file(others[4]!)).status).toBe('recorded');
  });

  it('holds across processes: concurrent reports from two pools store exactly the limit', async () => {
    const { match, from, others } = await crowd(8);
    const second = openTestPool(db.url, 4);
    try {
      const now = () => new Date('2026-05-02T12:00:00Z');
      const results = await Promise.all(
        others.map((about, i) =>
          recordPlayerReport(
            i % 2 === 0 ? pool : second,
            { matchId: match, reporterUserId: from, reportedUserId: about, category: 'boosting' },
            { rateLimit: limit, now },
          ),
        ),
      );
      const statuses = results.map((result) => (result.status === 'invalid' ? result.reason : result.status));
      expect(statuses.filter((status) => status === 'recorded')).toHaveLength(3);
      expect(statuses.filter((status) => status === 'rate_limited')).toHaveLength(5);
      const stored = await pool.query(
        "SELECT count(*)::int AS n FROM moderation_signals WHERE reporter_user_id = $1 AND source = 'player_report'",
        [from],
      );
      expect(stored.rows[0].n).toBe(3);
    } finally {
      await second.end();
    }
  });

  it('uses the default of 10 per hour on the database clock when none is given', async () => {
    const { match, from, others } = await crowd(11);
    const results = [];
    for (const about of others) {
      results.push(
        await recordPlayerReport(pool, {
          matchId: match,
          reporterUserId: from,
          reportedUserId: about,
          category: 'other',
        }),
      );
    }
    expect(results.slice(0, 10).every((result) => result.status === 'recorded')).toBe(true);
    expect(results[10]).toMatchObject({ reason: 'rate_limited' });
  });
});

describe('report rejections', () => {
  it('each has a message, and the description names the field', () => {
    for (const reason of REPORT_REJECTIONS)
      expect(REPORT_REJECTION_MESSAGES[reason].length).toBeGreaterThan(10);
    expect(
      describeReportRejection({
        status: 'invalid',
        field: 'reporterUserId',
        reason: 'reporter_not_in_match',
      }),
    ).toBe('reporterUserId: the reporter did not play in this match');
  });
});

describe('report category', () => {
  it('is trimmed and lower-cased, and anything else, a non-string included, is other', () => {
    expect(normalizeReportCategory(' BOOSTING\t')).toBe('boosting');
    expect(normalizeReportCategory('Profile')).toBe('profile');
    expect(normalizeReportCategory('spam')).toBe('other');
    expect(normalizeReportCategory(undefined)).toBe('other');
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
