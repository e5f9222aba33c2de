// A memory budget for engine answers. Every job in flight (MODERATION_WORKER_CONCURRENCY, 128) may hold
// its engine answer until the batched write stores it, and an answer may be as large as the contract
// allows (1 MiB, 1,000 signals): 128 of those at once took the worker past 560 MiB, over the pod's
// 320 MiB limit (docs/performance.md, Memory). The budget counts signals held: a call reserves the
// most an answer may carry before it starts, gives back what its answer did not use as soon as it
// arrives, and the rest once the write is done. Ordinary answers (a few signals) give back almost
// everything at once, so only a run of very large answers ever waits on it.
import type { AnalyzeResult } from '@geoduels/risk-client';
import { type AnalyzeRequest, MAX_ANSWER_SIGNALS } from '@geoduels/risk-client/signals';
import type { RiskAnalyzer } from './analyze-match.js';
import type { MatchStore } from './match-store.js';

/** Signals the answers in flight may hold at once: sixteen answers of the largest size. */
export const DEFAULT_ANSWER_BUDGET = 16 * MAX_ANSWER_SIGNALS;

/** A counting semaphore of signal units, first come first served. */
export class AnswerBudget {
  #free: number;
  readonly #waiting: Array<{ units: number; grant: () => void }> = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < MAX_ANSWER_SIGNALS)
      throw new RangeError(`answer budget must be a whole number >= ${MAX_ANSWER_SIGNALS} (got ${capacity})`);
    this.#free = capacity;
  }

  /** Units not reserved right now. */
  get free(): number {
    return this.#free;
  }

  /** Resolves once `units` are reserved (in arrival order). */
  acquire(units: number): Promise<void> {
    if (this.#waiting.length === 0 && this.#free >= units) {
      this.#free -= units;
      return Promise.resolve();
    }
    return new Promise((grant) => {
      this.#waiting.push({ units, grant });
    });
  }

  /** Gives `units` back and lets waiting reservations in, in order. */
  release(units: number): void {
    this.#free += units;
    while (this.#waiting.length > 0 && this.#free >= this.#waiting[0]!.units) {
      const next = this.#waiting.shift()!;
      this.#free -= next.units;
      next.grant();
    }
  }
}

/**
 * The flow's analyzer and store under `budget`: each call reserves MAX_ANSWER_SIGNALS, keeps what its
 * answer holds until the store has written that match (or failed to), and gives back the rest at once.
 */
export function withAnswerBudget<T extends { analyzer: RiskAnalyzer; store: MatchStore }>(
  flow: T,
  budget: AnswerBudget,
): T {
  const held = new Map<string, number[]>();
  const hold = (matchId: string, units: number) => {
    const key = matchId.toLowerCase();
    held.set(key, [...(held.get(key) ?? []), units]);
  };
  const releaseHeld = (matchId: string) => {
    const key = matchId.toLowerCase();
    const units = held.get(key);
    const first = units?.shift();
    if (units !== undefined && units.length === 0) held.delete(key);
    if (first !== undefined) budget.release(first);
  };
  const analyzer: RiskAnalyzer = {
    async analyze(request: AnalyzeRequest, options) {
      await budget.acquire(MAX_ANSWER_SIGNALS);
      let result: AnalyzeResult;
      try {
        result = await flow.analyzer.analyze(request, options);
      } catch (error) {
        budget.release(MAX_ANSWER_SIGNALS);
        throw error;
      }
      const kept = result.status === 'ok' ? Math.min(result.signals.length, MAX_ANSWER_SIGNALS) : 0;
      budget.release(MAX_ANSWER_SIGNALS - kept);
      if (kept > 0) hold(request.matchId, kept);
      return result;
    },
  };
  // The stores are plain objects of functions: every other call passes through unchanged.
  const store: MatchStore = {
    ...flow.store,
    async storeAnalysis(analysis, onStatement) {
      try {
        return await flow.store.storeAnalysis(analysis, onStatement);
      } finally {
        releaseHeld(analysis.matchId);
      }
    },
  };
  return { ...flow, analyzer, store };
}
