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
  /**
   * Only on a match's summary row (matchSummaryDedupeKey): how many of the match's signals needing
   * review got no row of their own (MODERATION_MAX_NOTIFICATIONS_PER_MATCH); the fields above are
   * the first of them, so a reader that knows only the per-signal form still reads a valid signal.
   */
  moreSignals?: number;
  /** Only on a summary row: the match the left-out signals belong to. */
  matchId?: string;
}

/** The dedupe key of a signal's review notification: one outbox row per signal, whatever the re-analyses. */
export function signalDedupeKey(signalId: number | string): string {
  return `moderation_signal:${signalId}:queued`;
}

/**
 * The dedupe key of a match's summary notification (the signals beyond the per-match cap): one row
 * per match, whatever the redeliveries.
 */
export function matchSummaryDedupeKey(matchId: string): string {
  return `moderation_match:${matchId.toLowerCase()}:more_signals`;
}
