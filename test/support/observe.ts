import type { ReceivedWebhook } from '@geoduels/test-support';
import { pollUntil } from '@geoduels/test-support';
import type { Queue } from 'bullmq';
import type pg from 'pg';
import { expect } from 'vitest';
import { expectedSignals, type SignalFacts, sortSignals } from './expected-signals.js';
import type { SeededMatch } from './seed.js';

/** One `risk_analysis_runs` row. */
export interface RunRow {
  match_id: string;
  status: string;
  attempts: number;
  last_failure: string | null;
  signal_count: number;
}

/** Run rows of the given matches (all when omitted), keyed by match id. */
export async function runsByMatch(pool: pg.Pool, matchIds?: readonly string[]): Promise<Map<string, RunRow>> {
  const result = await pool.query<RunRow>(
    `SELECT match_id, status, attempts, last_failure, signal_count FROM risk_analysis_runs
     WHERE $1::uuid[] IS NULL OR match_id = ANY($1::uuid[])`,
    [matchIds ?? null],
  );
  return new Map(result.rows.map((row) => [row.match_id, row]));
}

/** Number of run rows per status. */
export async function runStatusCounts(pool: pg.Pool): Promise<Record<string, number>> {
  const result = await pool.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM risk_analysis_runs GROUP BY status',
  );
  return Object.fromEntries(result.rows.map((row) => [row.status, row.n]));
}

/** Stored risk-engine signals of the given matches, in the same shape as the expected ones. */
export async function storedSignals(pool: pg.Pool, matchIds: readonly string[]): Promise<SignalFacts[]> {
  const result = await pool.query<SignalFacts>(
    `SELECT subject_user_id AS "subjectUserId", match_id AS "matchId", detector_key AS "detectorKey",
            detector_version AS "detectorVersion", reason_code AS "reasonCode", signal_type AS "signalType",
            severity, evidence_strength AS "evidenceStrength", recommended_queue AS "recommendedQueue", score,
            (recommended_queue OR severity IN ('high', 'critical')) AS queued
     FROM moderation_signals WHERE source = 'risk_engine' AND match_id = ANY($1::uuid[])`,
    [matchIds],
  );
  return sortSignals(result.rows);
}

/** What breaks "exactly once" between signals and the outbox; every list is empty when it holds. */
export interface OutboxAudit {
  /** Queued signals (high/critical or recommended) with no outbox row. */
  queuedWithoutOutbox: string[];
  /** Signals with more than one outbox row. */
  signalsWithSeveralRows: string[];
  /** Outbox rows for signals that do not need review, or that do not exist. */
  unexpectedRows: string[];
  /**
   * Rows of the review type not in production's form: dedupe key `moderation_signal:<id>:queued`,
   * payload with an integer signalId and the subject's name (display_name, or the uuid when empty).
   */
  malformedRows: string[];
  /** Number of outbox rows for queued signals. */
  outboxRows: number;
}

/** Checks one outbox row per queued signal, no other signal outbox rows, and each row's form. */
export async function auditOutbox(pool: pg.Pool): Promise<OutboxAudit> {
  const result = await pool.query<{
    signal_id: string | null;
    queued: boolean | null;
    rows: number;
    malformed: number;
  }>(
    `WITH rows AS (
       SELECT o.payload_json->>'signalId' AS signal_id, count(*)::int AS rows,
              count(*) FILTER (WHERE jsonb_typeof(o.payload_json->'signalId') IS DISTINCT FROM 'number'
                OR o.dedupe_key IS DISTINCT FROM 'moderation_signal:' || (o.payload_json->>'signalId') || ':queued'
                OR o.payload_json->>'subjectName' IS DISTINCT FROM
                     COALESCE(NULLIF(u.display_name, ''), o.payload_json->>'subjectUserId'))::int AS malformed
       FROM notification_outbox o
       LEFT JOIN users u ON u.id::text = o.payload_json->>'subjectUserId'
       WHERE o.type = 'moderation_signal_queued' GROUP BY 1
     )
     SELECT COALESCE(s.id::text, r.signal_id) AS signal_id,
            (s.recommended_queue OR s.severity IN ('high', 'critical')) AS queued,
            COALESCE(r.rows, 0) AS rows, COALESCE(r.malformed, 0) AS malformed
     FROM moderation_signals s FULL JOIN rows r ON r.signal_id = s.id::text`,
  );
  const audit: OutboxAudit = {
    queuedWithoutOutbox: [],
    signalsWithSeveralRows: [],
    unexpectedRows: [],
    malformedRows: [],
    outboxRows: 0,
  };
  for (const row of result.rows) {
    const id = row.signal_id ?? '?';
    if (row.queued === true && row.rows === 0) audit.queuedWithoutOutbox.push(id);
    if (row.rows > 1) audit.signalsWithSeveralRows.push(id);
    if (row.rows > 0 && row.queued !== true) audit.unexpectedRows.push(id);
    if (row.malformed > 0) audit.malformedRows.push(id);
    if (row.queued === true) audit.outboxRows += row.rows;
  }
  return audit;
}

/**
 * Asserts "exactly once" for `matches` (stored under `ids`): the stored risk-engine signals are
 * exactly what the default detectors produce for them, and the outbox holds one row per queued
 * signal and nothing else. Returns what it compared, for further checks.
 */
export async function expectExactlyOnce(
  pool: pg.Pool,
  matches: readonly SeededMatch[],
  ids: readonly string[],
): Promise<{ expected: SignalFacts[]; audit: OutboxAudit }> {
  const expected = sortSignals(matches.flatMap(expectedSignals));
  const stored = await storedSignals(pool, ids);
  // The count first: a diff of thousands of rows says less than two numbers.
  expect(stored.length).toBe(expected.length);
  expect(stored).toEqual(expected);
  const audit = await auditOutbox(pool);
  expect(audit).toEqual({
    queuedWithoutOutbox: [],
    signalsWithSeveralRows: [],
    unexpectedRows: [],
    malformedRows: [],
    outboxRows: expected.filter((s) => s.queued).length,
  });
  return { expected, audit };
}

/** Job counts of the queue in the states a test cares about. */
export async function queueCounts(queue: Queue): Promise<Record<string, number>> {
  return queue.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed', 'prioritized');
}

/** Waits until every match's run row satisfies `accept`; resolves with the rows. */
export async function waitForRuns(
  pool: pg.Pool,
  matchIds: readonly string[],
  accept: (run: RunRow) => boolean,
  description: string,
  timeoutMs = 60_000,
): Promise<Map<string, RunRow>> {
  return pollUntil(
    async () => {
      const runs = await runsByMatch(pool, matchIds);
      return matchIds.every((id) => {
        const run = runs.get(id);
        return run !== undefined && accept(run);
      })
        ? runs
        : undefined;
    },
    { description, timeoutMs, intervalMs: 100 },
  );
}

/** Outbox totals: rows, rows sent, and attempts recorded (each webhook POST records exactly one). */
export async function outboxTotals(pool: pg.Pool): Promise<{ rows: number; sent: number; attempts: number }> {
  const result = await pool.query<{ rows: number; sent: number; attempts: number }>(
    `SELECT count(*)::int AS rows, count(sent_at)::int AS sent, COALESCE(sum(attempts), 0)::int AS attempts
     FROM notification_outbox`,
  );
  return result.rows[0]!;
}

/** The signal id (bigint, as decimal text) a review message (Discord embed, field "Signal") is about. */
export function deliveredSignalId(body: unknown): string | undefined {
  const embeds = (body as { embeds?: { fields?: { name: string; value: string }[] }[] } | null)?.embeds;
  return embeds?.[0]?.fields?.find((field) => field.name === 'Signal')?.value.match(/\d+/)?.[0];
}

/** How webhook deliveries line up with the outbox; both lists are empty when each row arrived. */
export interface DeliveryReport {
  /** Outbox signal ids the webhook never accepted (answered 2xx). */
  missing: string[];
  /** Accepted messages about signals that have no outbox row. */
  unexpected: string[];
}

/**
 * Compares what the receiver accepted with the outbox. Delivery is at-least-once (a POST that
 * timed out is retried, and the webhook may have seen it), so repeats are not counted here; the
 * exactly-once guarantee lives in the outbox (see {@link auditOutbox}).
 */
export async function deliveryReport(
  pool: pg.Pool,
  received: readonly ReceivedWebhook[],
): Promise<DeliveryReport> {
  const rows = await pool.query<{ id: string }>(
    `SELECT payload_json->>'signalId' AS id FROM notification_outbox WHERE type = 'moderation_signal_queued'`,
  );
  const expected = new Set(rows.rows.map((row) => row.id));
  const accepted = new Set(
    received.filter((r) => r.answered === 'ok').map((r) => deliveredSignalId(r.body) ?? '?'),
  );
  return {
    missing: [...expected].filter((id) => !accepted.has(id)),
    unexpected: [...accepted].filter((id) => !expected.has(id)),
  };
}
