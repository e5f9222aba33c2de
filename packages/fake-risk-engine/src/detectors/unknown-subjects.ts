import { DETECTOR_VERSION, type Detector } from './detector.js';

// Fixed candidates so the output is deterministic; the first one that is not a player is used.
const STRANGERS = ['00000000-0000-4000-8000-00000000dead', '00000000-0000-4000-8000-00000000beef'];

/**
 * Off by default. Three signals the client must drop and count: one for a user who is not a
 * player of the request, one with a blank subject, one with no subject at all.
 */
export const unknownSubjects: Detector = {
  name: 'unknown-subjects',
  detect(request) {
    const players = new Set(request.players.map((p) => p.userId.toLowerCase()));
    const stranger = STRANGERS.find((id) => !players.has(id))!;
    const common = {
      signalType: 'gameplay_integrity',
      detectorKey: 'unknown_subject',
      detectorVersion: DETECTOR_VERSION,
      severity: 'critical',
      evidenceStrength: 'strong',
      recommendedQueue: true,
      score: 1,
      occurredAt: request.generatedAt,
    };
    return [
      { ...common, subjectUserId: stranger, reasonCode: 'not_a_player' },
      { ...common, subjectUserId: '   ', reasonCode: 'blank_subject' },
      { ...common, reasonCode: 'missing_subject' },
    ];
  },
};
