import { randomBytes, randomUUID } from 'node:crypto';
import { openTestPool, PG_ADMIN_URL, runSql, type TempDatabase } from '@geoduels/test-support';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SIGNAL_QUEUED } from '../notifications/outbox-payload.js';
import { insertPlayedMatch } from '../test-support/played-match.js';
import { captureLogger, createMigratedTempDatabase } from '../test-support/worker-harness.js';
import { type PrunedTable, pruneOnce, type RetentionOptions, startRetention } from './retention.js';
import { registerRetentionMetrics } from './retention-metrics.js';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00Z');
const OLD = new Date(NOW.getTime() - 31 * DAY);
const YOUNG = new Date(NOW.getTime() - 29 * DAY);
/** Production's moderation worker's own type in this era, and another service's. */
const OTHER_TYPES = ['moderation_incident_queued', 'password_reset_email'];

let db: TempDatabase;
let pool: pg.Pool;
const log = captureLogger();

beforeAll(async () => {
  db = await createMigratedTempDatabase('retention');
  pool = openTestPool(db.url, 6);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});
beforeEach(async () => {
  await pool.query('TRUNCATE notification_outbox, risk_analysis_runs, moderation_worker_report_quota');
});

function options(overrides: Partial<RetentionOptions> = {}): RetentionOptions {
  return {
    pool,
    settings: { maxAgeMs: 30 * DAY, intervalMs: 3_600_000 },
    logger: log.logger,
    now: () => NOW,
    ...overrides,
  };
}

/** Inserts an outbox row and returns its id. */
async function outbox(
  type: string,
  sentAt: Date | null,
  extra: { attempts?: number; createdAt?: Date } = {},
) {
  const result = await pool.query<{ id: string }>(
    `INSERT INTO notification_outbox
       (type, dedupe_key, payload_json, attempts, sent_at, created_at, last_error, next_attempt_at)
     VALUES ($1, $2, '{"signalId": 1}', $3, $4, $5, $6, CASE WHEN $6::text IS NULL THEN now() ELSE 'infinity' END)
     RETURNING id`,
    [
      type,
      `${type}:${randomUUID()}`,
      extra.attempts ?? 1,
      sentAt,
      extra.createdAt ?? OLD,
      extra.attempts !== undefined && extra.attempts >= 20
        ? 'dead-lettered after 20 attempts; last: http_5xx'
        : null,
    ],
  );
  return result.rows[0]!.id;
}

/** Inserts a run row and returns its match id. */
async function run(status: string, finishedAt: Date | null, firstSeenAt = OLD): Promise<string> {
  const matchId = randomUUID();
  await pool.query(
    `INSERT INTO risk_analysis_runs (match_id, status, first_seen_at, updated_at, finished_at)
     VALUES ($1, $2, $3, $3, $4)`,
    [matchId, status, firstSeenAt, finishedAt],
  );
  return matchId;
}

async function remainingOutbox(): Promise<string[]> {
  return (await pool.query<{ id: string }>('SELECT id FROM notification_outbox ORDER BY id')).rows.map(
    (r) => r.id,
  );
}

async function remainingRuns(): Promise<string[]> {
  return (
    await pool.query<{ match_id: string }>('SELECT match_id FROM risk_analysis_runs ORDER BY match_id')
  ).rows
    .map((r) => r.match_id)
    .sort();
}

/** Every row of the API's tables (other than the outbox), as one digest per table. */
async function apiDigest(): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const table of ['users', 'match_history', 'match_players', 'moderation_signals', 'site_settings']) {
    const result = await pool.query<{ d: string }>(
      `SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') AS d FROM ${table} t`,
    );
    digests[table] = result.rows[0]!.d;
  }
  return digests;
}

describe('retention', () => {
  it("deletes only the worker's own sent notifications and finished runs past the age; everything else is untouched", async () => {
    const [match, a, b] = [randomUUID(), randomUUID(), randomUUID()];
    await insertPlayedMatch(pool, match, [a, b]);
    await pool.query(
      `INSERT INTO moderation_signals (subject_user_id, signal_type, source, severity, evidence_strength, reason_code, match_id, created_at, occurred_at)
       VALUES ($1, 'player_report:cheating', 'player_report', 'medium', 'limited', 'cheating', $2, $3, $3)`,
      [a, match, OLD],
    );
    const prunedOutbox = [await outbox(SIGNAL_QUEUED, OLD), await outbox(SIGNAL_QUEUED, OLD)];
    const keptOutbox = [
      await outbox(SIGNAL_QUEUED, YOUNG), // sent, but not old enough
      await outbox(SIGNAL_QUEUED, null), // pending, however old
      await outbox(SIGNAL_QUEUED, null, { attempts: 20 }), // dead-lettered: kept for a person
      ...(await Promise.all(OTHER_TYPES.map((type) => outbox(type, OLD)))), // other services' sent rows
      ...(await Promise.all(OTHER_TYPES.map((type) => outbox(type, null)))),
    ];
    const prunedRuns = await Promise.all(
      ['analyzed', 'skipped_disabled', 'skipped_no_facts', 'abandoned', 'rejected'].map((status) =>
        run(status, OLD),
      ),
    );
    const keptRuns = [
      await run('analyzed', YOUNG),
      await run('deferred', null), // waiting for its match, however old
    ];
    await pool.query(`INSERT INTO moderation_worker_report_quota VALUES ($1, $2, 3), ($3, $4, 1)`, [
      randomUUID(),
      new Date(NOW.getTime() - 8 * DAY),
      a,
      new Date(NOW.getTime() - 2 * DAY),
    ]);
    const api = await apiDigest();

    const pruned = await pruneOnce(options());

    expect(pruned).toEqual({ notifications: 2, runs: 5, reportQuotas: 1 });
    expect(await remainingOutbox()).toEqual([...keptOutbox].sort((x, y) => Number(x) - Number(y)));
    expect(prunedOutbox.some((id) => keptOutbox.includes(id))).toBe(false);
    expect(await remainingRuns()).toEqual([...keptRuns].sort());
    expect(await apiDigest()).toEqual(api);
    const quotas = await pool.query('SELECT reporter_user_id FROM moderation_worker_report_quota');
    expect(quotas.rows).toEqual([{ reporter_user_id: a }]);
    expect(prunedRuns).toHaveLength(5);

    // Nothing left to prune: a second pass deletes nothing.
    expect(await pruneOnce(options())).toEqual({ notifications: 0, runs: 0, reportQuotas: 0 });
  });

  it('goes by the injected clock: a day later, the rows that crossed the age go too', async () => {
    const crossing = await outbox(SIGNAL_QUEUED, new Date(NOW.getTime() - 30 * DAY + 60_000));
    await run('analyzed', new Date(NOW.getTime() - 30 * DAY + 60_000));
    expect(await pruneOnce(options())).toMatchObject({ notifications: 0, runs: 0 });
    expect(await pruneOnce(options({ now: () => new Date(NOW.getTime() + DAY) }))).toMatchObject({
      notifications: 1,
      runs: 1,
    });
    expect(await remainingOutbox()).not.toContain(crossing);
  });

  it('deletes in bounded batches until done, and replicas pruning at once share the rows without error', async () => {
    await pool.query(
      `INSERT INTO notification_outbox (type, dedupe_key, payload_json, sent_at, created_at)
       SELECT $1, 'bulk:' || g, '{}', $2, $2 FROM generate_series(1, 250) g`,
      [SIGNAL_QUEUED, OLD],
    );
    await pool.query(
      `INSERT INTO risk_analysis_runs (match_id, status, first_seen_at, updated_at, finished_at)
       SELECT gen_random_uuid(), 'analyzed', $1, $1, $1 FROM generate_series(1, 250)`,
      [OLD],
    );
    const other = openTestPool(db.url, 2);
    try {
      const passes = await Promise.all([
        pruneOnce(options({ batchSize: 20 })),
        pruneOnce(options({ pool: other, batchSize: 20 })),
        pruneOnce(options({ batchSize: 20 })),
      ]);
      expect(passes.reduce((sum, pass) => sum + pass.notifications, 0)).toBe(250);
      expect(passes.reduce((sum, pass) => sum + pass.runs, 0)).toBe(250);
      expect(await remainingOutbox()).toEqual([]);
      expect(await remainingRuns()).toEqual([]);
    } finally {
      await other.end();
    }
  });

  it('keeps pruning runs when the role may not delete from notification_outbox, and says so once', async () => {
    const role = `gd_retention_${randomBytes(4).toString('hex')}`;
    await runSql(PG_ADMIN_URL, `CREATE ROLE ${role} LOGIN`);
    await runSql(
      db.url,
      `GRANT SELECT, INSERT, UPDATE ON notification_outbox TO ${role};
       GRANT SELECT, INSERT, UPDATE, DELETE ON risk_analysis_runs, moderation_worker_report_quota TO ${role};`,
    );
    const url = new URL(db.url);
    url.username = role;
    const restricted = openTestPool(url.toString(), 1);
    const sent = await outbox(SIGNAL_QUEUED, OLD);
    await run('analyzed', OLD);
    const refused: PrunedTable[] = [];
    try {
      const pruned = await pruneOnce(options({ pool: restricted }), (table) => refused.push(table));
      expect(pruned).toEqual({ notifications: 0, runs: 1, reportQuotas: 0 });
      expect(refused).toEqual(['notifications']);
      expect(await remainingOutbox()).toEqual([sent]);
    } finally {
      await restricted.end();
      await runSql(
        db.url,
        `REVOKE ALL ON notification_outbox, risk_analysis_runs, moderation_worker_report_quota FROM ${role}`,
      );
      await runSql(PG_ADMIN_URL, `DROP ROLE ${role}`);
    }
  });

  it('runs a pass at start and counts what it deleted in a metric', async () => {
    await outbox(SIGNAL_QUEUED, OLD);
    await run('abandoned', OLD);
    await run('analyzed', OLD);
    const registry = new Registry();
    const capture = captureLogger('info');
    let passes = 0;
    const count = registerRetentionMetrics(registry);
    const done = new Promise<void>((resolve) => {
      const job = startRetention(
        options({
          logger: capture.logger,
          onPruned: (pruned) => {
            count(pruned);
            passes += 1;
            resolve();
            void job;
          },
        }),
      );
      stopLater.push(job);
    });
    await done;
    await Promise.all(stopLater.splice(0).map((job) => job.stop()));
    expect(passes).toBe(1);
    const metric = await registry.getSingleMetricAsString('moderation_retention_deleted_total');
    expect(metric).toContain('moderation_retention_deleted_total{table="notifications"} 1');
    expect(metric).toContain('moderation_retention_deleted_total{table="runs"} 2');
    expect(metric).toContain('moderation_retention_deleted_total{table="reportQuotas"} 0');
    expect(capture.lines().filter((line) => line.msg === 'retention pass deleted old rows')).toEqual([
      expect.objectContaining({ level: 30, notifications: 1, runs: 2 }),
    ]);
  });
});

const stopLater: Array<{ stop(): Promise<void> }> = [];
