// Test-only: a match store kept in memory. It records every call the flow makes and answers what
// the test scripts, so the flow is tested without PostgreSQL; what PostgreSQL writes for each call
// is tested against the real store (analysis/match-store.test.ts).
import type { MatchFacts } from '../analysis/facts.js';
import type {
  AnalysisToStore,
  MatchStore,
  RunRecord,
  RunState,
  StoredAnalysis,
} from '../analysis/match-store.js';

/** One call made to the store, with its arguments. */
export type MatchStoreCall =
  | { method: 'loadFacts'; matchId: string; now: Date }
  | { method: 'storeAnalysis'; analysis: AnalysisToStore }
  | { method: 'recordRun'; record: RunRecord }
  | { method: 'abandonRun'; matchId: string; reason: string; now: Date };

/** What the store answers; a test replaces any part (a function may throw to fail the call). */
export interface MatchStoreScript {
  /** Facts by match id; a match not listed is unknown. */
  facts: Map<string, MatchFacts>;
  /** Default: every signal counted (one per key and severity as sent), no outbox row. */
  storeAnalysis: (analysis: AnalysisToStore) => StoredAnalysis;
  /** Default: the first attempt, first seen now, the status recorded. */
  recordRun: (record: RunRecord) => RunState;
  /** Default: the run was still deferred. */
  abandonRun: (matchId: string) => boolean;
}

/** A scripted store with the calls it received. */
export interface InMemoryMatchStore extends MatchStore {
  readonly calls: MatchStoreCall[];
  readonly script: MatchStoreScript;
  /** The methods called, in order. */
  methods(): MatchStoreCall['method'][];
}

/** Creates an in-memory store answering `script` (defaults as documented on MatchStoreScript). */
export function inMemoryMatchStore(script: Partial<MatchStoreScript> = {}): InMemoryMatchStore {
  const calls: MatchStoreCall[] = [];
  const answers: MatchStoreScript = {
    facts: new Map(),
    storeAnalysis: (analysis) => ({
      signalCount: analysis.signals.length,
      outboxInserted: 0,
      storedSignals: analysis.signals.map((s) => ({
        detectorKey: s.detectorKey,
        severity: s.severity,
        count: 1,
      })),
    }),
    recordRun: (record) => ({ attempts: 1, firstSeenAt: record.now, status: record.status }),
    abandonRun: () => true,
    ...script,
  };
  return {
    calls,
    script: answers,
    methods: () => calls.map((call) => call.method),
    async loadFacts(matchId, now) {
      calls.push({ method: 'loadFacts', matchId, now });
      return answers.facts.get(matchId) ?? { kind: 'unknown_match' };
    },
    async storeAnalysis(analysis) {
      calls.push({ method: 'storeAnalysis', analysis });
      return answers.storeAnalysis(analysis);
    },
    async recordRun(record) {
      calls.push({ method: 'recordRun', record });
      return answers.recordRun(record);
    },
    async abandonRun(matchId, reason, now) {
      calls.push({ method: 'abandonRun', matchId, reason, now });
      return answers.abandonRun(matchId);
    },
  };
}
