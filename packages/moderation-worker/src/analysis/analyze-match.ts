import type { AnalyzeResult } from '@geoduels/risk-client';
import type { AnalyzeRequest } from '@geoduels/risk-client/signals';
import type { StoredSignalCount } from '../runtime/metrics.js';
import { deferralExpired } from './deferral.js';
import type { MatchStore } from './match-store.js';
import { type UnsendableReason, unsendableRequest } from './request-contract.js';
import { describeDataError, isDataError } from './store-error.js';

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
  /** The request breaks the engine's contract (e.g. more than 64 players): not sent, settled. */
  | { kind: 'skipped_invalid_request'; reason: UnsendableReason; detail: string }
  | { kind: 'deferred'; reason: UnavailableReason; retryAfterMs?: number; attempts: number }
  | { kind: 'abandoned'; reason: UnavailableReason; attempts: number }
  /** The engine was unavailable, but an earlier delivery had analysed the match: the run stays analyzed. */
  | { kind: 'already_analyzed'; reason: UnavailableReason }
  | { kind: 'rejected'; httpStatus: number; detail: string }
  /** PostgreSQL refused the engine's answer with a data error (SQLSTATE class 22): settled, never retried. */
  | { kind: 'unstorable'; sqlstate: string; detail: string };

/**
 * Analyses one match: the facts read, the engine call, then the write. Store errors propagate
 * (the queue retries them), except a data error from the analysed-match write, which settles the
 * match as `unstorable`; every engine outcome is a value. A request outside the engine's contract
 * is not sent.
 */
export async function analyzeMatch(deps: AnalyzeMatchDeps, work: MatchWork): Promise<MatchOutcome> {
  const { store } = deps;
  const { matchId } = work;
  const facts = await store.loadFacts(matchId, deps.now());
  if (facts.kind !== 'facts') {
    await store.recordRun({ matchId, status: 'skipped_no_facts', lastFailure: facts.kind, now: deps.now() });
    return { kind: 'skipped_no_facts', reason: facts.kind };
  }
  const unsendable = unsendableRequest(facts.request);
  if (unsendable !== null) {
    await store.recordRun({
      matchId,
      status: 'skipped_invalid_request',
      lastFailure: unsendable.detail,
      now: deps.now(),
    });
    return { kind: 'skipped_invalid_request', ...unsendable };
  }
  const result = await deps.analyzer.analyze(
    facts.request,
    work.requestId === undefined ? {} : { requestId: work.requestId },
  );
  switch (result.status) {
    case 'ok':
      return storeAnswer(deps, matchId, result);
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

async function storeAnswer(
  deps: AnalyzeMatchDeps,
  matchId: string,
  result: Extract<AnalyzeResult, { status: 'ok' }>,
): Promise<MatchOutcome> {
  let stored: Awaited<ReturnType<MatchStore['storeAnalysis']>>;
  try {
    stored = await deps.store.storeAnalysis({
      matchId,
      detectorVersion: result.detectorVersion,
      signals: result.signals,
      now: deps.now(),
    });
  } catch (error) {
    if (!isDataError(error)) throw error;
    return settleUnstorable(deps, matchId, error);
  }
  return {
    kind: 'analyzed',
    ...stored,
    droppedSignals: result.droppedSignals,
    detectorVersion: result.detectorVersion,
  };
}

// The answer can never be stored: retrying would call the engine again for the same refusal, so
// the run records what PostgreSQL refused and the match is settled.
async function settleUnstorable(
  deps: AnalyzeMatchDeps,
  matchId: string,
  error: unknown,
): Promise<MatchOutcome> {
  const refused = describeDataError(error);
  await deps.store.recordRun({ matchId, status: 'unstorable', lastFailure: refused.detail, now: deps.now() });
  return { kind: 'unstorable', ...refused };
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
  if (run.status === 'analyzed') return { kind: 'already_analyzed', reason };
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
