import type { RawSignal } from '@geoduels/risk-client/signals';
import { DETECTOR_VERSION, type Detector, round3 } from './detector.js';

/** Thresholds of the rating-jump detector; 500 is the rating of a player without one. */
export const RATING_JUMP = { baseline: 500, minRating: 1200, gainPerGame: 50, highGainPerGame: 100 };

/**
 * Players rated >= 1200 who gained >= 50 points per ranked game over the 500 baseline (medium;
 * high from 100 per game). Omits `signalType` and `occurredAt` so the client's defaults apply.
 */
export const ratingJump: Detector = {
  name: 'rating-jump',
  detect(request) {
    const signals: RawSignal[] = [];
    for (const player of request.players) {
      const rating = player.currentRating ?? RATING_JUMP.baseline;
      const games = player.rankedGames ?? 0;
      const gainPerGame = (rating - RATING_JUMP.baseline) / Math.max(games, 1);
      if (rating < RATING_JUMP.minRating || gainPerGame < RATING_JUMP.gainPerGame) continue;
      const high = gainPerGame >= RATING_JUMP.highGainPerGame;
      signals.push({
        subjectUserId: player.userId,
        detectorKey: 'rating_jump',
        detectorVersion: ` ${DETECTOR_VERSION} `,
        severity: high ? ' HIGH' : 'Medium',
        evidenceStrength: high ? 'Substantial ' : 'limited',
        reasonCode: 'rating_jump',
        recommendedQueue: false,
        score: round3(gainPerGame),
        payload: { rating: { current: rating, baseline: RATING_JUMP.baseline }, rankedGames: games },
      });
    }
    return signals;
  },
};
