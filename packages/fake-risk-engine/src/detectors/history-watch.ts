import type { RawSignal } from '@geoduels/risk-client/signals';
import { type Detector, mean, round3 } from './detector.js';

/** Players need at least this many events for a watch signal. */
export const HISTORY_WATCH_MIN_EVENTS = 20;

/** The evidence alias for a mean evidence value: very_low < 0.2 <= low < 0.4 <= MEDIUM < 0.6 <= ' high' < 0.8 <= Very_High. */
export function evidenceAlias(meanEvidence: number): string {
  if (meanEvidence < 0.2) return 'very_low';
  if (meanEvidence < 0.4) return 'low';
  if (meanEvidence < 0.6) return 'MEDIUM';
  if (meanEvidence < 0.8) return ' high';
  return 'Very_High';
}

/**
 * A low-evidence watch signal for every player with >= 20 events. It carries an unknown severity
 * ("watch"), a blank signalType, an empty detectorVersion, no reasonCode and the zero time, so
 * each of those normalisation defaults is exercised on every typical match.
 */
export const historyWatch: Detector = {
  name: 'history-watch',
  detect(request) {
    const signals: RawSignal[] = [];
    for (const player of request.players) {
      const events = player.events;
      if (events.length < HISTORY_WATCH_MIN_EVENTS) continue;
      const meanEvidence = mean(events.map((e) => e.evidence));
      signals.push({
        subjectUserId: player.userId,
        signalType: '  ',
        detectorKey: 'history_watch',
        detectorVersion: '',
        severity: 'watch',
        evidenceStrength: evidenceAlias(meanEvidence),
        recommendedQueue: false,
        score: round3(meanEvidence),
        payload: {
          stats: {
            events: events.length,
            meanEvidence: round3(meanEvidence),
            meanScore: round3(mean(events.map((e) => e.score))),
            meanGuessMs: round3(mean(events.map((e) => e.guessMs))),
          },
          window: { newest: events[0]!.occurredAt, oldest: events[events.length - 1]!.occurredAt },
        },
        occurredAt: '0001-01-01T00:00:00Z',
      });
    }
    return signals;
  },
};
