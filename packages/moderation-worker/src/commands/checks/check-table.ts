import type { CheckResult } from './check-result.js';

const LABELS = { ok: 'OK', fail: 'FAIL', skip: 'SKIP' } as const;

/** Renders the results as an aligned plain-text table with a summary line. */
export function formatCheckTable(results: readonly CheckResult[]): string {
  const rows = [['CHECK', 'STATUS', 'DETAIL'], ...results.map((r) => [r.name, LABELS[r.status], r.detail])];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    `${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]}`.trimEnd(),
  );
  const failures = results.filter((r) => r.status === 'fail').length;
  const summary =
    failures === 0 ? `all ${results.length} checks passed` : `${failures} of ${results.length} checks failed`;
  return `${lines.join('\n')}\n\n${summary}\n`;
}
