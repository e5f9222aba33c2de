import type { FailedJob } from './failed-jobs.js';

// A reason longer than this is cut in the table (the JSON keeps it whole).
const REASON_PREVIEW = 160;

/** `queue failed` as text: a headline, then one aligned row per job, newest first. */
export function formatFailedJobsTable(label: string, total: number, jobs: readonly FailedJob[]): string {
  if (total === 0) return `no failed jobs in ${label}\n`;
  const headline =
    jobs.length < total
      ? `${total} failed jobs in ${label}; the newest ${jobs.length} (--limit to see more):`
      : `${total} failed job${total === 1 ? '' : 's'} in ${label}, newest first:`;
  const rows = [
    ['FAILED AT', 'JOB ID', 'MATCH', 'ATTEMPTS', 'REASON'],
    ...jobs.map((job) => [
      job.failedAt?.toISOString() ?? '-',
      job.id,
      job.matchId ?? '-',
      String(job.attemptsMade),
      previewReason(job.failedReason),
    ]),
  ];
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => (column < widths.length ? cell.padEnd(widths[column]!) : cell))
      .join('  ')
      .trimEnd(),
  );
  return `${headline}\n${lines.join('\n')}\n`;
}

/** `queue failed --json`: one line, `{ queue, total, jobs: [{ id, matchId, failedReason, attemptsMade, failedAt }] }`. */
export function formatFailedJobsJson(label: string, total: number, jobs: readonly FailedJob[]): string {
  const listed = jobs.map((job) => ({ ...job, failedAt: job.failedAt?.toISOString() ?? null }));
  return `${JSON.stringify({ queue: label, total, jobs: listed })}\n`;
}

function previewReason(reason: string): string {
  const line = reason.replace(/\s+/g, ' ').trim();
  if (line === '') return '-';
  return line.length > REASON_PREVIEW ? `${line.slice(0, REASON_PREVIEW)}…` : line;
}
