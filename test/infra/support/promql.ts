// Just enough of PromQL to say which metrics an expression reads and which series each selector
// selects: enough to check rules and dashboards against what a worker really exports.
import type { MetricSample } from '../../support/metrics.js';

// Words that look like metric names but are PromQL's own.
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'bool',
  'offset',
  'inf',
  'nan',
]);
const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
const NAME = /(?<![\w.:$])[a-zA-Z_:][a-zA-Z0-9_:]*/g;

/** One label matcher of a selector, e.g. `outcome!="breaker_open"`. */
export interface LabelMatcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** A vector selector: a metric name and its label matchers. */
export interface Selector {
  name: string;
  matchers: LabelMatcher[];
}

/** Grafana's variables as PromQL can evaluate them: every namespace, a one-minute rate interval. */
export function withoutGrafanaVariables(expr: string): string {
  return expr.replaceAll('$namespace', '.*').replace(/\$__rate_interval|\$__interval/g, '1m');
}

/** The metric names `expr` reads (functions, keywords and label names left out). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(STRING, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(NAME)) {
    const after = bare.slice((match.index ?? 0) + match[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names].sort();
}

/** Every selector of `expr` that names a metric, with its matchers (none for a bare name). */
export function selectors(expr: string): Selector[] {
  const found: Selector[] = metricNames(expr).map((name) => ({ name, matchers: [] }));
  for (const match of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) {
    const matchers: LabelMatcher[] = [];
    for (const m of match[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
      matchers.push({ label: m[1]!, op: m[2] as LabelMatcher['op'], value: m[3]!.replace(/\\(.)/g, '$1') });
    }
    found.push({ name: match[1]!, matchers });
  }
  return found;
}

/** Whether a sample is one the selector selects (a label the sample lacks counts as empty, as in PromQL). */
export function selects(selector: Selector, sample: MetricSample): boolean {
  if (sample.name !== selector.name) return false;
  return selector.matchers.every((matcher) => matches(matcher, sample.labels[matcher.label] ?? ''));
}

function matches({ op, value }: LabelMatcher, actual: string): boolean {
  if (op === '=') return actual === value;
  if (op === '!=') return actual !== value;
  const regex = new RegExp(`^(?:${value})$`);
  return op === '=~' ? regex.test(actual) : !regex.test(actual);
}

/** The selector as PromQL would print it, for messages. */
export function describeSelector(selector: Selector): string {
  const matchers = selector.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(', ');
  return matchers === '' ? selector.name : `${selector.name}{${matchers}}`;
}
