// The answer budget against the real client, the fake engine over a socket and PostgreSQL.
import type { FakeRiskEngine } from '@geoduels/fake-risk-engine';
import { MAX_ANSWER_SIGNALS } from '@geoduels/risk-client/signals';
import type { TempDatabase } from '@geoduels/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/pool.js';
import {
  clientFor,
  createMigratedDatabase,
  eventually,
  scriptedDetector,
  seedMatch,
  startScriptedEngine,
} from '../test-support/worker-harness.js';
import { AnswerBudget, withAnswerBudget } from './answer-budget.js';
import { directMatchStore } from './match-io.js';

let temp: TempDatabase;
let db: Database;
let engine: FakeRiskEngine;
const detector = scriptedDetector();
let seq = 0;
const A = '52000000-0000-4000-8000-00000000000a';
const B = '52000000-0000-4000-8000-00000000000b';

async function newMatch(): Promise<string> {
  seq += 1;
  const matchId = `62000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  await seedMatch(db, matchId, [
    { userId: A, events: [[1, 4000, 2000, 0.5, '2026-02-28T10:00:00Z']] },
    { userId: B, events: [[1, 3000, 6000, 0.1, '2026-02-28T10:00:00Z']] },
  ]);
  return matchId;
}

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('answer_budget'));
  engine = await startScriptedEngine(detector);
});
afterEach(() => {
  engine.reset();
  detector.signals = [];
});
afterAll(async () => {
  await engine.stop();
  await db.pool.end();
  await temp.drop();
});

describe('the answer budget', () => {
  it('holds no more of the largest answers than it has room for: the next call waits for a write', async () => {
    const client = clientFor(engine.url);
    const budget = new AnswerBudget(2 * MAX_ANSWER_SIGNALS);
    const flow = withAnswerBudget({ analyzer: client, store: directMatchStore(db) }, budget);
    try {
      engine.setFault({ kind: 'max_body' });
      const matches = [await newMatch(), await newMatch(), await newMatch()];
      const requests = await Promise.all(
        matches.map(async (matchId) => {
          const facts = await flow.store.loadFacts(matchId, new Date());
          if (facts.kind !== 'facts') throw new Error(`no facts for ${matchId}`);
          return facts.request;
        }),
      );
      const [first, second] = await Promise.all(requests.slice(0, 2).map((r) => flow.analyzer.analyze(r)));
      for (const answer of [first, second]) {
        expect(answer).toMatchObject({ status: 'ok' });
        expect(answer!.status === 'ok' && answer!.signals).toHaveLength(MAX_ANSWER_SIGNALS);
      }
      expect(budget.free).toBe(0);
      let third: unknown;
      const pending = flow.analyzer.analyze(requests[2]!).then((result) => {
        third = result;
      });
      // The third call is not even sent while two answers wait for their write.
      await new Promise((resolve) => setImmediate(resolve));
      expect(third).toBeUndefined();
      expect(engine.requestCount()).toBe(2);

      if (first!.status !== 'ok') throw new Error('unreachable');
      await flow.store.storeAnalysis({
        matchId: matches[0]!,
        detectorVersion: first!.detectorVersion,
        signals: first!.signals,
        now: new Date(),
      });
      await pending;
      expect(third).toMatchObject({ status: 'ok' });
      expect(engine.requestCount()).toBe(3);
    } finally {
      await client.close();
    }
  });

  it('gives back at once what an ordinary answer does not use', async () => {
    const client = clientFor(engine.url);
    const budget = new AnswerBudget(2 * MAX_ANSWER_SIGNALS);
    const flow = withAnswerBudget({ analyzer: client, store: directMatchStore(db) }, budget);
    try {
      detector.signals = [{ subjectUserId: A, reasonCode: 'small', severity: 'low', score: 0.1 }];
      const matchId = await newMatch();
      const facts = await flow.store.loadFacts(matchId, new Date());
      if (facts.kind !== 'facts') throw new Error('no facts');
      const result = await flow.analyzer.analyze(facts.request);
      expect(result).toMatchObject({ status: 'ok' });
      expect(budget.free).toBe(2 * MAX_ANSWER_SIGNALS - 1);
      if (result.status !== 'ok') throw new Error('unreachable');
      await flow.store.storeAnalysis({
        matchId,
        detectorVersion: result.detectorVersion,
        signals: result.signals,
        now: new Date(),
      });
      expect(budget.free).toBe(2 * MAX_ANSWER_SIGNALS);
      // A failed call keeps nothing.
      engine.setFault({ kind: 'status', code: 503, times: 1 });
      expect(await flow.analyzer.analyze(facts.request)).toMatchObject({ status: 'unavailable' });
      await eventually(async () => (budget.free === 2 * MAX_ANSWER_SIGNALS ? true : undefined));
    } finally {
      await client.close();
    }
  });
});
