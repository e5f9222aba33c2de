// The PostgreSQL match stores: reads and writes either straight to PostgreSQL or gathered across
// the jobs running at once, so that under load one facts statement and one write statement (one
// commit) serve several matches. Each job still sees only its own facts and its own write result.

import type { Database } from '../db/pool.js';
import { Batcher } from '../lib/batcher.js';
import { type ConflictRetry, retryConflicts } from './conflict-retry.js';
import { loadMatchesFacts, loadMatchFacts, type MatchFacts } from './facts.js';
import {
  type AnalysisToStore,
  abandonRun,
  DEFAULT_MAX_NOTIFICATIONS_PER_MATCH,
  type MatchStore,
  recordRun,
  type StoredAnalysis,
  storeAnalyses,
} from './match-store.js';

/** How the analysed-match write of either store behaves. */
export interface WriteOptions {
  /** Review notifications per match at most, then one summary row (MODERATION_MAX_NOTIFICATIONS_PER_MATCH; default 5). */
  maxNotificationsPerMatch?: number;
  /** The write run again at once after a deadlock or serialization failure (bounded; see conflict-retry.ts). */
  conflictRetry?: ConflictRetry;
}

/** How far {@link batchedMatchStore} gathers. */
export interface BatchingOptions extends WriteOptions {
  /** Matches per statement at most (MODERATION_WORKER_BATCH_SIZE). */
  maxBatch: number;
  /**
   * Statements of each kind running at once at most; later calls wait and are batched (default 1:
   * a second statement in flight splits the waiting jobs into smaller batches without adding
   * throughput; docs/performance.md).
   */
  maxInFlight?: number;
  /** Told the size of every batch as it starts. */
  onBatch?: (statement: 'facts' | 'store', size: number) => void;
}

/** One statement per call: for tests and tools that analyse one match at a time. */
export function directMatchStore(db: Database, options: WriteOptions = {}): MatchStore {
  const write = analysedMatchWrite(db, options);
  return {
    loadFacts: (matchId, now, onStatement) => {
      onStatement?.(1);
      return loadMatchFacts(db, matchId, now);
    },
    storeAnalysis: (analysis, onStatement) => {
      onStatement?.(1);
      return write([analysis]).then(([stored]) => stored!);
    },
    recordRun: (record) => recordRun(db, record),
    abandonRun: (matchId, reason, now) => abandonRun(db, matchId, reason, now),
  };
}

/**
 * Gathers the facts reads and analysed-match writes of concurrent jobs into batched statements (see
 * batcher.ts): a batch of several that fails is retried one match at a time, so a bad match (an
 * answer PostgreSQL refuses) fails only its own job and its batch-mates are stored. A lost lock race
 * is retried whole first (analysedMatchWrite). Run records stay one statement each: they are the
 * rare path.
 */
export function batchedMatchStore(db: Database, options: BatchingOptions): MatchStore {
  const slots = { maxBatch: options.maxBatch, maxInFlight: options.maxInFlight ?? 1 };
  const facts = new Batcher<{ matchId: string; now: Date }, MatchFacts>({
    ...slots,
    onBatch: (size) => options.onBatch?.('facts', size),
    // generatedAt is when the facts were read: the batch's newest clock reading.
    run: (items) =>
      loadMatchesFacts(
        db,
        items.map((i) => i.matchId),
        new Date(Math.max(...items.map((i) => i.now.getTime()))),
      ),
  });
  const writes = new Batcher<AnalysisToStore, StoredAnalysis>({
    ...slots,
    onBatch: (size) => options.onBatch?.('store', size),
    run: analysedMatchWrite(db, options),
    // A statement may upsert a run row once: the same match twice waits for the next batch.
    key: (analysis) => analysis.matchId.toLowerCase(),
  });
  return {
    ...directMatchStore(db, options),
    loadFacts: (matchId, now, onStatement) => facts.add({ matchId, now }, onStatement),
    storeAnalysis: (analysis, onStatement) => writes.add(analysis, onStatement),
  };
}

// The analysed-match statement with its per-match notification cap, run again inside the job when
// it lost a lock race (the matches are written in id order, storeAnalyses, so two replicas rarely
// race at all).
function analysedMatchWrite(
  db: Database,
  options: WriteOptions,
): (analyses: readonly AnalysisToStore[]) => Promise<StoredAnalysis[]> {
  const cap = options.maxNotificationsPerMatch ?? DEFAULT_MAX_NOTIFICATIONS_PER_MATCH;
  return (analyses) => retryConflicts(() => storeAnalyses(db, analyses, cap), options.conflictRetry);
}
