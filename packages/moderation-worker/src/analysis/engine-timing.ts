// The engine's latency as the worker lives it: the wall time of every call, whatever its outcome,
// measured around the client (an `ok` carries its own latency; a timeout or a refusal does not).
import type { AnalyzeResult } from '@geoduels/risk-client';
import type { Histogram } from 'prom-client';
import type { EngineOutcome } from '../runtime/metric-labels.js';
import type { RiskAnalyzer } from './analyze-match.js';

/** The `outcome` label of a call: ok, rejected or why the engine was unavailable; null when no call was made. */
export function engineCallOutcome(result: AnalyzeResult): EngineOutcome | null {
  switch (result.status) {
    case 'ok':
    case 'rejected':
      return result.status;
    case 'unavailable':
      return result.reason;
    case 'disabled':
      return null;
  }
}

/**
 * Wraps `analyzer` so that every engine call's wall time is observed in `duration` by outcome. With
 * the engine disabled nothing is sent, so nothing is observed; `breaker_open` is observed (the
 * near-zero time of a call the breaker refused), dashboards leave it out of latency quantiles.
 */
export function timeEngineCalls(
  analyzer: RiskAnalyzer,
  duration: Pick<Histogram<'outcome'>, 'observe'>,
  clock: () => number = () => performance.now(),
): RiskAnalyzer {
  return {
    async analyze(request, options) {
      const started = clock();
      const result = await analyzer.analyze(request, options);
      const outcome = engineCallOutcome(result);
      if (outcome !== null) duration.observe({ outcome }, (clock() - started) / 1000);
      return result;
    },
  };
}
