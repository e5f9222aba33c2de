import { greatestEvidenceStrength, greatestSeverity, type RiskSignal } from '@geoduels/risk-client/signals';

/** The risk-engine dedupe key of a signal within one match (the unique index's columns). */
export function signalKey(signal: RiskSignal): string {
  return JSON.stringify([
    signal.subjectUserId,
    signal.detectorKey,
    signal.detectorVersion,
    signal.reasonCode,
  ]);
}

/**
 * Merges a newer signal into an older one with the same dedupe key: higher severity and evidence,
 * greater score, OR of recommended_queue, the newer payload (a missing one never erases), the
 * later occurred_at. The database applies the same rules on conflict.
 */
export function mergeSignal(older: RiskSignal, newer: RiskSignal): RiskSignal {
  return {
    ...older,
    severity: greatestSeverity(older.severity, newer.severity),
    evidenceStrength: greatestEvidenceStrength(older.evidenceStrength, newer.evidenceStrength),
    score: Math.max(older.score, newer.score),
    recommendedQueue: older.recommendedQueue || newer.recommendedQueue,
    payload: newer.payload ?? older.payload,
    occurredAt:
      Date.parse(newer.occurredAt) > Date.parse(older.occurredAt) ? newer.occurredAt : older.occurredAt,
  };
}

/**
 * Collapses signals sharing a dedupe key (one upsert statement may touch a row only once), sorted
 * by key so concurrent writers lock rows in the same order.
 */
export function collapseSignals(signals: readonly RiskSignal[]): RiskSignal[] {
  const byKey = new Map<string, RiskSignal>();
  for (const signal of signals) {
    const key = signalKey(signal);
    const seen = byKey.get(key);
    byKey.set(key, seen ? mergeSignal(seen, signal) : signal);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, signal]) => signal);
}
