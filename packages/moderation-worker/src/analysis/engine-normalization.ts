// What the client's normalisation changed in the engine's answers, made visible: an answer whose
// signals are dropped or repaired is stored (that is the point), so only a metric tells an operator
// that the engine has started sending what PostgreSQL cannot keep.
import type { NormalizationCounts } from '@geoduels/risk-client';
import type { Counter } from 'prom-client';
import type { RiskAnalyzer } from './analyze-match.js';

type Family = 'signal_dropped' | 'payload_dropped' | 'repaired';

/** The non-zero counts of one answer's normalisation, as `[family, reason, count]`. */
export function normalizationEntries(counts: NormalizationCounts): [Family, string, number][] {
  const families: [Family, Readonly<Record<string, number>>][] = [
    ['signal_dropped', counts.droppedSignals],
    ['payload_dropped', counts.droppedPayloads],
    ['repaired', counts.repaired],
  ];
  return families.flatMap(([family, byReason]) =>
    Object.entries(byReason).flatMap(([reason, count]): [Family, string, number][] =>
      count > 0 ? [[family, reason, count]] : [],
    ),
  );
}

/** Wraps `analyzer` so that every answered call's normalisation counts go to `counter`. */
export function countNormalization(
  analyzer: RiskAnalyzer,
  counter: Pick<Counter<'family' | 'reason'>, 'inc'>,
): RiskAnalyzer {
  return {
    async analyze(request, options) {
      const result = await analyzer.analyze(request, options);
      if (result.status === 'ok') {
        for (const [family, reason, count] of normalizationEntries(result.normalization)) {
          counter.inc({ family, reason }, count);
        }
      }
      return result;
    },
  };
}
