// A match store that puts a span around every call of the one it wraps. A batched call's span
// covers the job's own share: its wait for a slot, then the statement, which an event marks, with
// the number of matches that statement served.
import type { Span, Tracer } from '@opentelemetry/api';
import type { MatchStore, StatementStarted } from '../analysis/match-store.js';
import { inSpan } from './in-span.js';
import { ATTR, SPAN, STATEMENT_STARTED_EVENT } from './span-names.js';

const DB = { [ATTR.dbSystem]: 'postgresql' } as const;

/** `store` with a span around each call. */
export function tracedMatchStore(store: MatchStore, tracer: Tracer): MatchStore {
  return {
    loadFacts: (matchId, now, onStatement) =>
      inSpan(tracer, SPAN.facts, { ...DB, [ATTR.matchId]: matchId }, async (span) => {
        const facts = await store.loadFacts(matchId, now, marking(span, onStatement));
        span.setAttribute(ATTR.factsOutcome, facts.kind);
        if (facts.kind === 'facts') span.setAttribute(ATTR.players, facts.request.players.length);
        return facts;
      }),
    storeAnalysis: (analysis, onStatement) =>
      inSpan(tracer, SPAN.store, { ...DB, [ATTR.matchId]: analysis.matchId }, async (span) => {
        const stored = await store.storeAnalysis(analysis, marking(span, onStatement));
        span.setAttributes({
          [ATTR.storedSignals]: stored.signalCount,
          [ATTR.outboxInserted]: stored.outboxInserted,
        });
        return stored;
      }),
    recordRun: (record) =>
      inSpan(
        tracer,
        SPAN.recordRun,
        { ...DB, [ATTR.matchId]: record.matchId, [ATTR.runStatus]: record.status },
        () => store.recordRun(record),
      ),
    abandonRun: (matchId, reason, now) =>
      inSpan(tracer, SPAN.abandonRun, { ...DB, [ATTR.matchId]: matchId, [ATTR.engineReason]: reason }, () =>
        store.abandonRun(matchId, reason, now),
      ),
  };
}

// The attribute keeps the size of the statement that answered (a failed batch's matches run again
// alone); the events keep every start.
function marking(span: Span, next: StatementStarted | undefined): StatementStarted {
  return (batchSize) => {
    span.setAttribute(ATTR.batchSize, batchSize);
    span.addEvent(STATEMENT_STARTED_EVENT, { [ATTR.batchSize]: batchSize });
    next?.(batchSize);
  };
}
