import type { NormalizationCounts } from './normalization-counts.js';
import type { RiskSignal } from './signals.js';

/** Why the engine could not answer; every reason except `rate_limited` counts against the breaker. */
export const UNAVAILABLE_REASONS = [
  'breaker_open',
  'timeout',
  'network',
  'http_5xx',
  'rate_limited',
  'unauthorized',
  'invalid_response',
] as const;
export type UnavailableReason = (typeof UNAVAILABLE_REASONS)[number];

/** The engine answered and its signals were normalised (see normalize.ts). */
export interface AnalyzeOk {
  readonly status: 'ok';
  readonly detectorVersion: string;
  readonly factsVersion: string;
  readonly signals: RiskSignal[];
  /**
   * Signals dropped by normalisation (no subject, a subject who was not a player in the request, an
   * identifier PostgreSQL could not store); the sum of `normalization.droppedSignals`.
   */
  readonly droppedSignals: number;
  /** Signals kept without their payload (too large, too deep, not JSON, NUL); the sum of `normalization.droppedPayloads`. */
  readonly droppedPayloads: number;
  /** Every drop and in-place repair of this answer by named reason (see normalization-counts.ts). */
  readonly normalization: NormalizationCounts;
  /** Wall time of the exchange, by the client's clock. */
  readonly latencyMs: number;
}

/** `RISK_ENGINE_URL` is not set; nothing was sent. */
export interface AnalyzeDisabled {
  readonly status: 'disabled';
}

/** The engine could not be used this time; try again later (after `retryAfterMs` when given). */
export interface AnalyzeUnavailable {
  readonly status: 'unavailable';
  readonly reason: UnavailableReason;
  /**
   * Milliseconds to wait: from `Retry-After` (429, 5xx), or for `breaker_open` the time until the
   * breaker allows a half-open probe.
   */
  readonly retryAfterMs?: number;
}

/** The engine refused this request as invalid (400/422): a bug or bad data, not an outage. */
export interface AnalyzeRejected {
  readonly status: 'rejected';
  readonly httpStatus: 400 | 422;
  /** The engine's explanation, truncated to a few hundred characters. */
  readonly detail: string;
}

/** Outcome of `RiskClient.analyze`; engine faults are values, never exceptions. */
export type AnalyzeResult = AnalyzeOk | AnalyzeDisabled | AnalyzeUnavailable | AnalyzeRejected;

/** Builds an `unavailable` result, leaving `retryAfterMs` out when unknown. */
export function unavailable(reason: UnavailableReason, retryAfterMs?: number): AnalyzeUnavailable {
  return retryAfterMs === undefined
    ? { status: 'unavailable', reason }
    : { status: 'unavailable', reason, retryAfterMs };
}
