import type { EvidenceStrength, Severity, SignalSource } from '@geoduels/risk-client/signals';

/** Outbox row type for a stored signal (risk engine or player report) that needs review. */
export const SIGNAL_QUEUED = 'moderation_signal_queued';

/**
 * What an outbox row carries for a queued signal: enough to build the review message without
 * reading `moderation_signals` again. Never the signal's opaque payload.
 */
export interface QueuedSignalPayload {
  signalId: string;
  source: SignalSource;
  subjectUserId: string;
  matchId: string | null;
  reporterUserId: string | null;
  signalType: string;
  severity: Severity;
  evidenceStrength: EvidenceStrength;
  reasonCode: string;
  detectorKey: string | null;
  score: number;
  occurredAt: string;
}

/** One outbox row per queued signal, whatever the number of re-analyses. */
export function signalDedupeKey(signalId: string): string {
  return `${SIGNAL_QUEUED}:${signalId}`;
}
