// Production's engine-signal write, run as production runs it, for the compatibility tests and the
// benchmark's baseline (its SQL in production-statements-sql.ts).
import type pg from 'pg';
import {
  PRODUCTION_QUEUE_NOTIFICATION_SQL,
  PRODUCTION_UPSERT_SIGNAL_SQL,
} from './production-statements-sql.js';
import { inTransaction } from './transaction.js';

/** An engine signal as production writes it. */
export interface ProductionSignal {
  subjectUserId: string;
  matchId: string;
  signalType: string;
  severity: string;
  evidenceStrength: string;
  detectorKey: string | null;
  detectorVersion: string | null;
  reasonCode: string;
  score: number;
  recommendedQueue: boolean;
  /** Absent or null: production stores `'{}'`. */
  payload?: Record<string, unknown> | null;
  /** RFC 3339. */
  occurredAt: string;
}

/** The row the upsert left, after production's merge rules. */
export interface StoredProductionSignal {
  /** moderation_signals.id (bigserial, as text). */
  id: string;
  severity: string;
  evidenceStrength: string;
  recommendedQueue: boolean;
  occurredAt: Date;
}

/** Options of storeProductionSignal. */
export interface StoreProductionSignalOptions {
  /** Whether the stored row gets a review notification in the same transaction (default: never). */
  notify?: (stored: StoredProductionSignal) => boolean;
}

/**
 * Production's engine-signal write: one transaction per signal, the upsert on the detector dedupe
 * index with its merge rules, then, when `notify` says so, the review notification (inserted or
 * re-armed). Resolves to the stored row.
 */
export async function storeProductionSignal(
  pool: pg.Pool,
  signal: ProductionSignal,
  options: StoreProductionSignalOptions = {},
): Promise<StoredProductionSignal> {
  return inTransaction(pool, async (client) => {
    const result = await client.query<{
      id: string;
      severity: string;
      evidence_strength: string;
      recommended_queue: boolean;
      occurred_at: Date;
    }>(PRODUCTION_UPSERT_SIGNAL_SQL, [
      signal.subjectUserId,
      signal.signalType,
      signal.severity,
      signal.evidenceStrength,
      signal.detectorKey,
      signal.detectorVersion,
      signal.reasonCode,
      signal.score,
      signal.recommendedQueue,
      signal.matchId,
      signal.payload ?? null,
      signal.occurredAt,
    ]);
    const row = result.rows[0]!;
    const stored: StoredProductionSignal = {
      id: row.id,
      severity: row.severity,
      evidenceStrength: row.evidence_strength,
      recommendedQueue: row.recommended_queue,
      occurredAt: row.occurred_at,
    };
    if (options.notify?.(stored) === true) {
      await client.query(PRODUCTION_QUEUE_NOTIFICATION_SQL, [
        stored.id,
        signal.subjectUserId,
        stored.severity,
        stored.evidenceStrength,
        signal.reasonCode,
        stored.occurredAt.toISOString(),
      ]);
    }
    return stored;
  });
}
