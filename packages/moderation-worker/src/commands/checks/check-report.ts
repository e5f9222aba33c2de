import type { CheckResult } from './check-result.js';

const LABELS = { ok: 'OK', fail: 'FAIL', skip: 'SKIP' } as const;

/** Renders the results as an aligned plain-text table with a summary line. */
export function formatCheckTable(results: readonly CheckResult[]): string {
  const rows = [['CHECK', 'STATUS', 'DETAIL'], ...results.map((r) => [r.name, LABELS[r.status], r.detail])];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    `${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]}`.trimEnd(),
  );
  return `${lines.join('\n')}\n\n${checkSummary(results)}\n`;
}

/** The same results as one JSON document on one line: `{ ok, summary, counts, checks }`. */
export function formatCheckJson(results: readonly CheckResult[]): string {
  const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length;
  return `${JSON.stringify({
    ok: count('fail') === 0,
    summary: checkSummary(results),
    counts: { ok: count('ok'), fail: count('fail'), skip: count('skip') },
    checks: results.map(({ name, status, detail }) => ({ name, status, detail })),
  })}\n`;
}

/** `all 10 checks passed` or `2 of 10 checks failed`. */
export function checkSummary(results: readonly CheckResult[]): string {
  const failures = results.filter((r) => r.status === 'fail').length;
  return failures === 0
    ? `all ${results.length} checks passed`
    : `${failures} of ${results.length} checks failed`;
}
