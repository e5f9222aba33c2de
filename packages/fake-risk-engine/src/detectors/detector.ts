import type { AnalyzeRequest, RawSignal } from '@geoduels/risk-client/signals';

/** The version every signal and response of this fake reports. */
export const DETECTOR_VERSION = 'fake-1.0.0';

/** A deterministic detector: a pure function of the validated request (no clock, no randomness). */
export interface Detector {
  /** Stable name, used by `FAKE_RISK_ENGINE_DETECTORS` and in docs. */
  readonly name: string;
  /** Signals for this request, in wire form (before the client's normalisation). */
  detect(request: AnalyzeRequest): RawSignal[];
}

/** Rounds to three decimals so scores are stable, readable numbers. */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Arithmetic mean, 0 for an empty list. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
