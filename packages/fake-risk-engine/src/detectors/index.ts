import type { AnalyzeRequest, RawSignal } from '@geoduels/risk-client/signals';
import type { Detector } from './detector.js';
import { fastPrecise } from './fast-precise.js';
import { historyWatch } from './history-watch.js';
import { matchPace } from './match-pace.js';
import { ratingJump } from './rating-jump.js';
import { unknownSubjects } from './unknown-subjects.js';

export { DETECTOR_VERSION, type Detector } from './detector.js';
export { FAST_PRECISE, fastPrecise } from './fast-precise.js';
export { evidenceAlias, HISTORY_WATCH_MIN_EVENTS, historyWatch } from './history-watch.js';
export { matchPace } from './match-pace.js';
export { RATING_JUMP, ratingJump } from './rating-jump.js';
export { unknownSubjects } from './unknown-subjects.js';

/** The detectors a started engine runs unless told otherwise. */
export const DEFAULT_DETECTORS: readonly Detector[] = [fastPrecise, ratingJump, historyWatch, matchPace];

/** Every built-in detector by name (for `FAKE_RISK_ENGINE_DETECTORS`). */
export const DETECTORS_BY_NAME: ReadonlyMap<string, Detector> = new Map(
  [...DEFAULT_DETECTORS, unknownSubjects].map((d) => [d.name, d]),
);

/** All signals of all detectors, in detector order. */
export function runDetectors(detectors: readonly Detector[], request: AnalyzeRequest): RawSignal[] {
  const signals: RawSignal[] = [];
  for (const d of detectors) signals.push(...d.detect(request));
  return signals;
}
