// The public face of @geoduels/risk-client. Internals (http, interpret, payload) stay private.
export {
  type BreakerEvent,
  type BreakerOptions,
  type BreakerState,
  type BreakerTransition,
  DEFAULT_BREAKER_OPTIONS,
} from './breaker.js';
export {
  type AnalyzeOptions,
  type ClientState,
  createRiskClient,
  DEFAULT_CONNECTIONS,
  type HealthResult,
  type RiskClient,
  type RiskClientOptions,
  type StateChange,
} from './client.js';
export {
  createRiskEngineConfig,
  DEFAULT_TIMEOUT_MS,
  MAX_TIMEOUT_MS,
  MIN_TIMEOUT_MS,
  RISK_ENGINE_VARIABLES,
  type RiskEngineConfig,
  type RiskEngineEnv,
  type RiskEngineEnvReading,
  type RiskEngineVariable,
  readRiskEngineEnv,
  riskEngineConfigFromEnv,
} from './config.js';
export { MAX_DURATION_MS, parseGoDuration } from './duration.js';
export {
  ClientClosedError,
  ConfigError,
  type ConfigProblem,
  DurationError,
  type DurationProblem,
  InvalidArgumentError,
} from './errors.js';
export { MAX_BODY_BYTES, USER_AGENT } from './http.js';
export {
  type NormalizationCounts,
  PAYLOAD_DROP_REASONS,
  type PayloadDropReason,
  REPAIR_REASONS,
  type RepairReason,
  SIGNAL_DROP_REASONS,
  type SignalDropReason,
} from './normalization-counts.js';
export {
  DEFAULT_REASON_CODE,
  DEFAULT_SIGNAL_TYPE,
  MAX_IDENTIFIER_LENGTH,
  type NormalizeContext,
  type NormalizedAnswer,
  type NormalizedSignals,
  normalizeAnswer,
  normalizeSignals,
} from './normalize.js';
export { MAX_STORABLE_TIME_MS, MIN_STORABLE_TIME_MS } from './occurred-at.js';
export { MAX_PAYLOAD_BYTES, MAX_PAYLOAD_DEPTH } from './payload.js';
export {
  type AnalyzeDisabled,
  type AnalyzeOk,
  type AnalyzeRejected,
  type AnalyzeResult,
  type AnalyzeUnavailable,
  UNAVAILABLE_REASONS,
  type UnavailableReason,
} from './result.js';
export { MAX_RETRY_AFTER_MS, parseRetryAfter } from './retry-after.js';
export {
  fragmentRedactor,
  MIN_SECRET_FRAGMENT,
  REDACTED,
  type Redact,
  secretRedactor,
} from './secret-redactor.js';
export * from './signals.js';
