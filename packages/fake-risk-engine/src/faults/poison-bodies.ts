import { FACTS_VERSION } from '@geoduels/risk-client/signals';
import { DETECTOR_VERSION } from '../detectors/index.js';
import type { PoisonVariant } from './faults.js';

/** `detectorKey` of the one signal a poison answer carries. */
export const POISON_DETECTOR_KEY = 'poison';

interface Poison {
  detectorVersion?: string;
  signalType?: string;
  reasonCode?: string;
  occurredAt?: string;
  payload?: string;
}

// JSON text fragments, escapes included: `\ud800` and `\u0000` must reach the client as escapes
// (a raw lone surrogate cannot even be encoded as UTF-8; it would arrive as U+FFFD).
const POISONS: Record<PoisonVariant, Poison> = {
  zero_year_time: { reasonCode: '"zero_year_time"', occurredAt: '"0000-01-01T00:00:00Z"' },
  past_year_9999_time: { reasonCode: '"past_year_9999_time"', occurredAt: '"9999-12-31T23:30:00-01:00"' },
  lone_surrogate_reason: { reasonCode: '"lone_surrogate_\\ud800_reason"' },
  lone_surrogate_type: { reasonCode: '"lone_surrogate_type"', signalType: '"gameplay_\\ud800"' },
  lone_surrogate_payload: {
    reasonCode: '"lone_surrogate_payload"',
    payload: '{"note":"bad \\ud800 text","ok":1}',
  },
  nul_detector_version: {
    reasonCode: '"nul_detector_version"',
    detectorVersion: `"${DETECTOR_VERSION}\\u0000"`,
  },
  nul_payload_key: { reasonCode: '"nul_payload_key"', payload: '{"bad\\u0000key":1,"ok":1}' },
};

/**
 * A 200 body that satisfies contract v1 yet carries one value PostgreSQL cannot store as sent: one
 * `high`, queue-recommended signal about `subject` (a player of the request when known), poisoned
 * as `variant` says.
 */
export function poisonBody(variant: PoisonVariant, subject: string): string {
  const p = POISONS[variant];
  const signal =
    `{"subjectUserId":${JSON.stringify(subject)},"signalType":${p.signalType ?? '"gameplay_integrity"'},` +
    `"detectorKey":"${POISON_DETECTOR_KEY}","detectorVersion":"${DETECTOR_VERSION}","severity":"high",` +
    `"evidenceStrength":"strong","reasonCode":${p.reasonCode},"recommendedQueue":true,"score":0.9,` +
    `"payload":${p.payload ?? '{"ok":1}'},"occurredAt":${p.occurredAt ?? '"2026-01-01T00:00:00Z"'}}`;
  return (
    `{"detectorVersion":${p.detectorVersion ?? `"${DETECTOR_VERSION}"`},"factsVersion":"${FACTS_VERSION}",` +
    `"signals":[${signal}]}`
  );
}
