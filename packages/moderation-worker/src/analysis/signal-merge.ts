import { greatestEvidenceStrength, greatestSeverity, type RiskSignal } from '@geoduels/risk-client/signals';

/**
 * The risk-engine dedupe key of a signal within one match: the detector dedupe index's expressions,
 * where a missing detector key or version counts as ''.
 */
export function signalKey(signal: RiskSignal): string {
  return JSON.stringify([
    signal.subjectUserId,
    signal.detectorKey ?? '',
    signal.detectorVersion ?? '',
    signal.reasonCode,
  ]);
}

/**
 * Merges a newer signal into an older one with the same dedupe key, by production's rules: higher
 * severity and evidence, greater score, OR of recommended_queue, the newer payload (even when it has
 * none: stored as `{}`), the later occurred_at. The database applies the same rules on conflict.
 */
export function mergeSignal(older: RiskSignal, newer: RiskSignal): RiskSignal {
  return {
    ...older,
    severity: greatestSeverity(older.severity, newer.severity),
    evidenceStrength: greatestEvidenceStrength(older.evidenceStrength, newer.evidenceStrength),
    score: Math.max(older.score, newer.score),
    recommendedQueue: older.recommendedQueue || newer.recommendedQueue,
    payload: newer.payload,
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
