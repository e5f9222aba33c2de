// The public face: the library interface of the fake engine and its building blocks for tests.
export type { ResponseLogEntry } from './context.js';
export {
  DEFAULT_DETECTORS,
  DETECTOR_VERSION,
  DETECTORS_BY_NAME,
  type Detector,
  FAST_PRECISE,
  fastPrecise,
  HISTORY_WATCH_MIN_EVENTS,
  historyWatch,
  matchPace,
  RATING_JUMP,
  ratingJump,
  runDetectors,
  unknownSubjects,
} from './detectors/index.js';
export {
  type FaultBehaviour,
  type FaultScope,
  type FaultSpec,
  HOSTILE_VARIANTS,
  type HostileVariant,
  POISON_VARIANTS,
  type PoisonVariant,
} from './faults/faults.js';
export { HOSTILE_NESTING_DEPTH, HOSTILE_STRING_LENGTH } from './faults/hostile-bodies.js';
export { POISON_DETECTOR_KEY, poisonBody } from './faults/poison-bodies.js';
export { MAX_BODY_BYTES } from './faults/responses.js';
export { type ParsedFault, parseFaultSpec } from './faults/spec-parser.js';
export { DEFAULT_RECORD_LIMIT, type RecordedRequest } from './recorder.js';
export { type FakeRiskEngine, type FakeRiskEngineOptions, startFakeRiskEngine } from './server.js';
