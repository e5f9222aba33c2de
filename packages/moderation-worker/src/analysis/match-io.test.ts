import type { RiskSignal } from '@geoduels/risk-client/signals';
import type { TempDatabase } from '@geoduels/test-support';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/pool.js';
import { createMigratedDatabase, seedMatch } from '../test-support/worker-harness.js';
import { DEFAULT_CONFLICT_ATTEMPTS } from './conflict-retry.js';
import { batchedMatchStore, directMatchStore } from './match-io.js';
import type { AnalysisToStore } from './match-store.js';
import { isDataError, sqlState } from './store-error.js';

let temp: TempDatabase;
let db: Database;
const T0 = new Date('2026-03-01T12:00:00.000Z');
const PLAYER_A = '51000000-0000-4000-8000-00000000000a';
const PLAYER_B = '51000000-0000-4000-8000-00000000000b';
const MATCHES = Array.from(
  { length: 6 },
  (_, i) => `52000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
);
const EMPTY_MATCH = '52000000-0000-4000-8000-0000000000ee';
const UNKNOWN_MATCH = '52000000-0000-4000-8000-0000000000ff';

// Statements sent through the pool, by their first words, and their parameters; the pool is
// otherwise the real one.
const statements: string[] = [];
const parameters: unknown[][] = [];
let counted: Database;

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('match_io'));
  for (const [i, matchId] of MATCHES.entries()) {
    // The rank row is per player and season: the last seed's 1205 is every match's rating.
    await seedMatch(db, matchId, [
      { userId: PLAYER_A, mmr: 1200 + i, events: [[1, 4000 + i, 2000, 0.5, `2026-02-28T10:0${i}:00Z`]] },
      { userId: PLAYER_B, events: [[1, 3000 + i, 6000, 0.1, `2026-02-28T10:0${i}:00Z`]] },
    ]);
  }
  await seedMatch(db, EMPTY_MATCH, []);
  const pool = new Proxy(db.pool, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return (config: { text: string }, values?: unknown[]) => {
        statements.push(config.text.trim().split(/\s+/).slice(0, 2).join(' '));
        parameters.push((config as { values?: unknown[] }).values ?? values ?? []);
        return target.query(config as never, values as never);
      };
    },
  });
  counted = { pool, namedStatements: true };
});
afterAll(async () => {
  await db.pool.end();
  await temp.drop();
});
beforeEach(async () => {
  statements.length = 0;
  parameters.length = 0;
  await db.pool.query('TRUNCATE moderation_signals, notification_outbox, risk_analysis_runs');
});

function signal(subjectUserId: string, reasonCode: string, overrides: Partial<RiskSignal> = {}): RiskSignal {
  return {
    subjectUserId,
    signalType: 'suspicious_accuracy',
    detectorKey: 'accuracy',
    detectorVersion: '1.0.0',
    severity: 'high',
    evidenceStrength: 'substantial',
    reasonCode,
    recommendedQueue: true,
    score: 0.9,
    payload: { rounds: 5 },
    occurredAt: '2026-02-28T10:00:00.000Z',
    ...overrides,
  };
}

function analysis(matchId: string, signals: RiskSignal[]): AnalysisToStore {
  return { matchId, detectorVersion: '2026.02', signals, now: T0 };
}

async function storedRows() {
  const signals = await db.pool.query(
    `SELECT match_id, subject_user_id, reason_code, severity FROM moderation_signals ORDER BY match_id, reason_code`,
  );
  const outbox = await db.pool.query(
    `SELECT payload_json->>'matchId' AS match_id, payload_json->>'reasonCode' AS reason_code
     FROM notification_outbox ORDER BY 1, 2`,
  );
  const runs = await db.pool.query(
    'SELECT match_id, status, attempts, signal_count FROM risk_analysis_runs ORDER BY match_id',
  );
  return { signals: signals.rows, outbox: outbox.rows, runs: runs.rows };
}

describe('direct match reads and writes', () => {
  it('spends one statement per call: the facts read, the analysed-match write, each run record', async () => {
    const store = directMatchStore(counted);
    const matchId = MATCHES[0]!;
    const spent = async (call: () => Promise<unknown>) => {
      statements.length = 0;
      await call();
      return [...statements];
    };
    expect(await spent(() => store.loadFacts(matchId, T0))).toEqual(['WITH active_season']);
    expect(await spent(() => store.storeAnalysis(analysis(matchId, [signal(PLAYER_A, 'budget')])))).toEqual([
      'WITH batch',
    ]);
    const deferral = { matchId, status: 'deferred', lastFailure: 'http_5xx', now: T0 } as const;
    expect(await spent(() => store.recordRun(deferral))).toEqual(['WITH written']);
    expect(await spent(() => store.abandonRun(matchId, 'http_5xx', T0))).toEqual([
      'UPDATE risk_analysis_runs',
    ]);
  });
});

describe('batched match reads and writes', () => {
  it('reads the facts of matches asked for together in one statement, each exactly as alone', async () => {
    const io = batchedMatchStore(counted, { maxBatch: 32 });
    const asked = [...MATCHES, EMPTY_MATCH, UNKNOWN_MATCH, MATCHES[0]!];
    const together = await Promise.all(asked.map((m) => io.loadFacts(m, T0)));
    expect(statements).toEqual(['WITH active_season']);

    const direct = directMatchStore(db);
    const alone = [];
    for (const m of asked) alone.push(await direct.loadFacts(m, T0));
    expect(together).toEqual(alone);
    expect(together.slice(-3).map((f) => f.kind)).toEqual(['no_ranked_events', 'unknown_match', 'facts']);
    const first = together[0]!;
    expect(first.kind === 'facts' && first.request.players.map((p) => [p.userId, p.currentRating])).toEqual([
      [PLAYER_A, 1205],
      [PLAYER_B, 500],
    ]);
  });

  it('writes analyses made together as one statement, with the rows and counts of separate writes', async () => {
    const io = batchedMatchStore(counted, { maxBatch: 32 });
    const analyses = MATCHES.map((m, i) =>
      analysis(m, [
        signal(PLAYER_A, 'fast'),
        signal(PLAYER_B, 'slow', { severity: 'low', recommendedQueue: false }),
        ...(i % 2 === 0 ? [] : [signal(PLAYER_A, 'extra', { severity: 'critical' })]),
      ]),
    );
    analyses.push(analysis(EMPTY_MATCH, []));
    const results = await Promise.all(analyses.map((a) => io.storeAnalysis(a)));
    expect(statements).toEqual(['WITH batch']);
    expect(results).toEqual(
      analyses.map((a) => ({
        signalCount: a.signals.length,
        outboxInserted: a.signals.filter((s) => s.severity !== 'low').length,
        // One signal per severity here, all of detector 'accuracy', in the statement's order.
        storedSignals: a.signals
          .map((s) => ({ detectorKey: s.detectorKey, severity: s.severity, count: 1 }))
          .sort((x, y) => x.severity.localeCompare(y.severity)),
      })),
    );
    const batched = await storedRows();

    await db.pool.query('TRUNCATE moderation_signals, notification_outbox, risk_analysis_runs');
    const direct = directMatchStore(db);
    for (const a of analyses) await direct.storeAnalysis(a);
    expect(await storedRows()).toEqual(batched);
    expect(batched.runs).toHaveLength(7);
    expect(batched.outbox).toHaveLength(9);
  });

  it('fails only the match whose write PostgreSQL refuses, and stores the others', async () => {
    const io = batchedMatchStore(counted, { maxBatch: 32 });
    const bad = analysis(MATCHES[1]!, [
      signal(PLAYER_A, 'fast', { severity: 'extreme' as RiskSignal['severity'] }),
    ]);
    const results = await Promise.allSettled([
      io.storeAnalysis(analysis(MATCHES[0]!, [signal(PLAYER_A, 'fast')])),
      io.storeAnalysis(bad),
      io.storeAnalysis(analysis(MATCHES[2]!, [signal(PLAYER_B, 'fast')])),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toContain(
      'moderation_signals_severity_check',
    );
    // The batch, then each of its matches alone.
    expect(statements).toEqual(['WITH batch', 'WITH batch', 'WITH batch', 'WITH batch']);
    const rows = await storedRows();
    expect(rows.runs.map((r) => r.match_id)).toEqual([MATCHES[0], MATCHES[2]]);
    expect(rows.signals.map((r) => r.match_id)).toEqual([MATCHES[0], MATCHES[2]]);
  });

  it('writes the same match twice in turn, never twice in one statement', async () => {
    const io = batchedMatchStore(counted, { maxBatch: 32 });
    const matchId = MATCHES[3]!;
    await Promise.all([
      io.storeAnalysis(analysis(matchId, [signal(PLAYER_A, 'fast', { severity: 'medium', score: 0.4 })])),
      io.storeAnalysis(analysis(matchId, [signal(PLAYER_A, 'fast', { severity: 'high', score: 0.7 })])),
      io.storeAnalysis(analysis(MATCHES[4]!, [signal(PLAYER_B, 'fast')])),
    ]);
    expect(statements).toEqual(['WITH batch', 'WITH batch']);
    const rows = await storedRows();
    expect(rows.runs.find((r) => r.match_id === matchId)).toMatchObject({ attempts: 2, signal_count: 1 });
    expect(rows.signals.filter((r) => r.match_id === matchId)).toEqual([
      { match_id: matchId, subject_user_id: PLAYER_A, reason_code: 'fast', severity: 'high' },
    ]);
  });

  it('never puts more than maxBatch matches in one statement', async () => {
    const io = batchedMatchStore(counted, { maxBatch: 4 });
    const facts = await Promise.all(MATCHES.map((m) => io.loadFacts(m, T0)));
    expect(facts.every((f) => f.kind === 'facts')).toBe(true);
    expect(statements).toEqual(['WITH active_season', 'WITH active_season']);
  });
});

describe('the analysed-match write under faults', () => {
  it('stores the batch-mates of a match whose answer PostgreSQL refuses (a data error), failing only that match', async () => {
    const io = batchedMatchStore(counted, { maxBatch: 32 });
    const results = await Promise.allSettled([
      io.storeAnalysis(analysis(MATCHES[0]!, [signal(PLAYER_A, 'fast')])),
      io.storeAnalysis(
        analysis(MATCHES[1]!, [signal(PLAYER_A, 'fast', { occurredAt: '0000-01-01T00:00:00Z' })]),
      ),
      io.storeAnalysis(analysis(MATCHES[2]!, [signal(PLAYER_B, 'bad\ud800code')])),
      io.storeAnalysis(analysis(MATCHES[3]!, [signal(PLAYER_B, 'fast')])),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    for (const refused of [results[1], results[2]] as PromiseRejectedResult[]) {
      expect(isDataError(refused.reason)).toBe(true);
    }
    const rows = await storedRows();
    expect(rows.runs.map((r) => r.match_id)).toEqual([MATCHES[0], MATCHES[3]]);
    expect(rows.signals.map((r) => r.match_id)).toEqual([MATCHES[0], MATCHES[3]]);
  });

  it('writes the matches of a batch in match-id order whatever order they arrived in', async () => {
    const io = batchedMatchStore(counted, { maxBatch: 32 });
    const arrival = [MATCHES[4]!, MATCHES[0]!, MATCHES[5]!, MATCHES[2]!, MATCHES[1]!];
    await Promise.all(arrival.map((m) => io.storeAnalysis(analysis(m, [signal(PLAYER_A, 'fast')]))));
    expect(statements).toEqual(['WITH batch']);
    const written = (JSON.parse(parameters[0]![0] as string) as { matchId: string }[]).map((m) => m.matchId);
    expect(written).toEqual([...arrival].sort());
  });

  describe('a lost lock race', () => {
    // A trigger on the worker's own run table that fails the first `times` writes with `sqlstate`:
    // a sequence counts them, since the failed transaction's own writes are rolled back.
    async function loseRaces(sqlstate: string, times: number) {
      await db.pool.query(`
        CREATE SEQUENCE IF NOT EXISTS lost_races;
        SELECT setval('lost_races', 1, false);
        CREATE OR REPLACE FUNCTION lose_race() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF nextval('lost_races') <= TG_ARGV[1]::int THEN
            RAISE EXCEPTION 'staged lock race' USING ERRCODE = TG_ARGV[0];
          END IF;
          RETURN NEW;
        END $$;
        DROP TRIGGER IF EXISTS lose_race ON risk_analysis_runs;
        CREATE TRIGGER lose_race BEFORE INSERT ON risk_analysis_runs
          FOR EACH STATEMENT EXECUTE FUNCTION lose_race('${sqlstate}', '${times}');`);
    }
    afterEach(async () => {
      await db.pool.query('DROP TRIGGER IF EXISTS lose_race ON risk_analysis_runs');
    });

    for (const sqlstate of ['40001', '40P01']) {
      it(`writes the batch again inside the job after ${sqlstate}, once, and is told so`, async () => {
        await loseRaces(sqlstate, 1);
        const retries: Array<[string, number]> = [];
        const io = batchedMatchStore(counted, {
          maxBatch: 32,
          conflictRetry: { onRetry: (state, attempt) => retries.push([state, attempt]) },
        });
        const results = await Promise.all(
          [MATCHES[0]!, MATCHES[1]!].map((m) => io.storeAnalysis(analysis(m, [signal(PLAYER_A, 'fast')]))),
        );
        expect(results.map((r) => r.signalCount)).toEqual([1, 1]);
        expect(retries).toEqual([[sqlstate, 1]]);
        // The batch, then the same batch again: no one-by-one isolation for a lost race.
        expect(statements).toEqual(['WITH batch', 'WITH batch']);
        const rows = await storedRows();
        expect(rows.runs.map((r) => [r.match_id, r.status, r.attempts])).toEqual([
          [MATCHES[0], 'analyzed', 1],
          [MATCHES[1], 'analyzed', 1],
        ]);
      });
    }

    it('gives up after a bounded number of attempts, with the conflict as it came', async () => {
      await loseRaces('40P01', 1_000);
      const retries: number[] = [];
      const io = directMatchStore(counted, {
        conflictRetry: { onRetry: (_, attempt) => retries.push(attempt) },
      });
      const error = await io.storeAnalysis(analysis(MATCHES[0]!, [signal(PLAYER_A, 'fast')])).catch((e) => e);
      expect(sqlState(error)).toBe('40P01');
      expect(retries).toEqual(Array.from({ length: DEFAULT_CONFLICT_ATTEMPTS - 1 }, (_, i) => i + 1));
      expect(statements).toHaveLength(DEFAULT_CONFLICT_ATTEMPTS);
    });
  });
});
