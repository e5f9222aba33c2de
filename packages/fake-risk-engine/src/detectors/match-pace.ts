import { DETECTOR_VERSION, type Detector, mean, round3 } from './detector.js';

/**
 * One signal per match for the player with the lowest mean guess time in this match (ties: lowest
 * userId), when at least two players have events of it. Subject, type, key and reason are padded
 * and the evidence strength is unknown ("tentative"), for the client's trimming and defaults.
 */
export const matchPace: Detector = {
  name: 'match-pace',
  detect(request) {
    const paces = request.players
      .map((p) => {
        const rounds = p.events.filter((e) => e.matchId === request.matchId);
        return {
          userId: p.userId,
          rounds: rounds.length,
          meanGuessMs: round3(mean(rounds.map((e) => e.guessMs))),
        };
      })
      .filter((p) => p.rounds > 0);
    if (paces.length < 2) return [];
    const fastest = paces.reduce((best, p) =>
      p.meanGuessMs < best.meanGuessMs || (p.meanGuessMs === best.meanGuessMs && p.userId < best.userId)
        ? p
        : best,
    );
    return [
      {
        subjectUserId: `  ${fastest.userId} `,
        signalType: ' gameplay_pace ',
        detectorKey: ' match_pace ',
        detectorVersion: DETECTOR_VERSION,
        severity: ' low',
        evidenceStrength: 'tentative',
        reasonCode: ' fastest_in_match ',
        recommendedQueue: false,
        score: fastest.meanGuessMs,
        payload: { match: { matchId: request.matchId, players: paces } },
        occurredAt: request.generatedAt,
      },
    ];
  },
};
