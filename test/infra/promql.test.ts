// The PromQL reading the monitoring tests rely on: if it missed a name, a renamed metric would
// leave an alert or a panel reading nothing without any test noticing.
import { describe, expect, it } from 'vitest';
import { metricNames, selectors, selects, withoutGrafanaVariables } from './support/promql.js';

describe('reading PromQL', () => {
  it('finds the metrics an expression reads, not its functions, keywords, labels or durations', () => {
    const expr =
      'histogram_quantile(0.99, sum by (le) (rate(a_seconds_bucket{outcome!="x", ns=~"$namespace"}[$__rate_interval]))) ' +
      '> on (instance) group_left (pod) b_total offset 5m and absent(c_up) unless max without (state) (d{state="open"}) > bool 1';
    expect(metricNames(withoutGrafanaVariables(expr))).toEqual(['a_seconds_bucket', 'b_total', 'c_up', 'd']);
  });

  it('parses selectors and matches samples as PromQL does, absent labels as empty', () => {
    const [, selector] = selectors('rate(x_total{outcome!="breaker_open", state=~"open|half_open"}[5m])');
    expect(selector).toEqual({
      name: 'x_total',
      matchers: [
        { label: 'outcome', op: '!=', value: 'breaker_open' },
        { label: 'state', op: '=~', value: 'open|half_open' },
      ],
    });
    expect(selects(selector!, { name: 'x_total', labels: { outcome: 'ok', state: 'open' }, value: 0 })).toBe(
      true,
    );
    expect(
      selects(selector!, { name: 'x_total', labels: { outcome: 'ok', state: 'opened' }, value: 0 }),
    ).toBe(false);
    expect(
      selects(selector!, { name: 'x_total', labels: { outcome: 'breaker_open', state: 'open' }, value: 0 }),
    ).toBe(false);
    expect(selects(selectors('y{ns=~".*"}')[1]!, { name: 'y', labels: {}, value: 1 })).toBe(true);
  });
});
