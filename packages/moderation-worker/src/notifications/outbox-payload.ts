import type { EvidenceStrength, Severity } from '@geoduels/risk-client/signals';

/** Outbox row type for a stored signal (risk engine or player report) that needs review. */
export const SIGNAL_QUEUED = 'moderation_signal_queued';

/**
 * What an outbox row carries for a queued signal: enough to build the review message without
 * reading `moderation_signals` again. Never the signal's opaque payload.
 */
export interface QueuedSignalPayload {
  /** The signal's id (bigserial), a JSON integer. */
  signalId: number;
  subjectUserId: string;
  /** The subject's users.display_name, or the subject's id when that is empty. */
  subjectName: string;
  severity: Severity;
  evidenceStrength: EvidenceStrength;
  reasonCode: string;
  /** RFC 3339, UTC. */
  occurredAt: string;
}

/** One outbox row per queued signal, whatever the number of re-analyses. */
export function signalDedupeKey(signalId: number | string): string {
  return `moderation_signal:${signalId}:queued`;
}
