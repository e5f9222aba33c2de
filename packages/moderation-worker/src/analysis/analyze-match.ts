import type { AnalyzeResult } from '@geoduels/risk-client';
import type { AnalyzeRequest } from '@geoduels/risk-client/signals';
import type { StoredSignalCount } from '../runtime/metrics.js';
import { deferralExpired } from './deferral.js';
import type { MatchStore } from './match-store.js';

/** Why the engine could not answer (the client's `unavailable` reasons). */
export type UnavailableReason = Extract<AnalyzeResult, { status: 'unavailable' }>['reason'];

/** The part of the risk client the flow needs. */
export interface RiskAnalyzer {
  analyze(
    request: AnalyzeRequest,
    options?: { signal?: AbortSignal; requestId?: string },
  ): Promise<AnalyzeResult>;
}

/** What the flow needs injected. */
export interface AnalyzeMatchDeps {
  /** Every read and write of the match (directMatchStore or batchedMatchStore in production). */
  store: MatchStore;
  analyzer: RiskAnalyzer;
  now: () => Date;
  /** RISK_ANALYSIS_MAX_DEFER in milliseconds. */
  maxDeferMs: number;
}

/** One unit of work: a match, and when it was enqueued (opens its deferral window). */
export interface MatchWork {
  matchId: string;
  enqueuedAt: Date;
  requestId?: string;
}

/** How the analysis of a match ended; the caller maps it onto the queue. */
export type MatchOutcome =
  | {
      kind: 'analyzed';
      signalCount: number;
      outboxInserted: number;
      storedSignals: StoredSignalCount[];
      droppedSignals: number;
      detectorVersion: string;
    }
  | { kind: 'skipped_disabled' }
  | { kind: 'skipped_no_facts'; reason: 'unknown_match' | 'no_ranked_events' }
  | { kind: 'deferred'; reason: UnavailableReason; retryAfterMs?: number; attempts: number }
  | { kind: 'abandoned'; reason: UnavailableReason; attempts: number }
  | { kind: 'rejected'; httpStatus: number; detail: string };

/**
 * Analyses one match: the facts read, the engine call, then the write. Store errors propagate
 * (the queue retries them); every engine outcome is a value.
 */
export async function analyzeMatch(deps: AnalyzeMatchDeps, work: MatchWork): Promise<MatchOutcome> {
  const { store } = deps;
  const { matchId } = work;
  const facts = await store.loadFacts(matchId, deps.now());
  if (facts.kind !== 'facts') {
    await store.recordRun({ matchId, status: 'skipped_no_facts', lastFailure: facts.kind, now: deps.now() });
    return { kind: 'skipped_no_facts', reason: facts.kind };
  }
  const result = await deps.analyzer.analyze(
    facts.request,
    work.requestId === undefined ? {} : { requestId: work.requestId },
  );
  switch (result.status) {
    case 'ok': {
      const stored = await store.storeAnalysis({
        matchId,
        detectorVersion: result.detectorVersion,
        signals: result.signals,
        now: deps.now(),
      });
      return {
        kind: 'analyzed',
        ...stored,
        droppedSignals: result.droppedSignals,
        detectorVersion: result.detectorVersion,
      };
    }
    case 'disabled':
      await store.recordRun({ matchId, status: 'skipped_disabled', lastFailure: null, now: deps.now() });
      return { kind: 'skipped_disabled' };
    case 'rejected': {
      const detail = `engine answered ${result.httpStatus}: ${result.detail}`;
      await store.recordRun({ matchId, status: 'rejected', lastFailure: detail, now: deps.now() });
      return { kind: 'rejected', httpStatus: result.httpStatus, detail: result.detail };
    }
    case 'unavailable':
      return defer(deps, work, result.reason, result.retryAfterMs);
  }
}

async function defer(
  deps: AnalyzeMatchDeps,
  work: MatchWork,
  reason: UnavailableReason,
  retryAfterMs: number | undefined,
): Promise<MatchOutcome> {
  const now = deps.now();
  const run = await deps.store.recordRun({
    matchId: work.matchId,
    status: 'deferred',
    lastFailure: reason,
    now,
  });
  if (deferralExpired(run.firstSeenAt, work.enqueuedAt, now, deps.maxDeferMs)) {
    await deps.store.abandonRun(work.matchId, reason, now);
    return { kind: 'abandoned', reason, attempts: run.attempts };
  }
  return {
    kind: 'deferred',
    reason,
    attempts: run.attempts,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
}
