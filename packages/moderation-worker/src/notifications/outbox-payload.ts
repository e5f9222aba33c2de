import type { EvidenceStrength, Severity } from '@geoduels/risk-client/signals';

/** Outbox row type for a stored signal (risk engine or player report) that needs review. */
export const SIGNAL_QUEUED = 'moderation_signal_queued';

/**
 * What an outbox row of type {@link SIGNAL_QUEUED} carries, in production's per-signal form:
 * enough to build the review message without reading `moderation_signals` again, never the
 * signal's own payload.
 */
export interface QueuedSignalPayload {
  /** `moderation_signals.id` (bigserial), stored as a JSON integer. */
  signalId: number;
  subjectUserId: string;
  /** The subject's `users.display_name`, or the uuid text when that is empty. */
  subjectName: string;
  severity: Severity;
  evidenceStrength: EvidenceStrength;
  reasonCode: string;
  /** RFC 3339, UTC. */
  occurredAt: string;
}

/** The dedupe key of a signal's review notification: one outbox row per signal, whatever the re-analyses. */
export function signalDedupeKey(signalId: number | string): string {
  return `moderation_signal:${signalId}:queued`;
}
