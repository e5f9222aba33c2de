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
  DEFAULT_REASON_CODE,
  DEFAULT_SIGNAL_TYPE,
  type NormalizeContext,
  type NormalizedSignals,
  normalizeSignals,
} from './normalize.js';
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
export * from './signals.js';
