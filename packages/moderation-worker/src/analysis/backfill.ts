import type { Queue } from 'bullmq';
import type { Database } from '../db/pool.js';
import { requeueRankedMatch } from './job.js';
import type { RunStatus } from './match-store.js';

/** Run statuses backfill re-enqueues by default: the analyses that did not complete. */
export const DEFAULT_BACKFILL_STATUSES: RunStatus[] = ['deferred', 'abandoned', 'skipped_disabled'];

/** What to re-enqueue. */
export interface BackfillOptions {
  /** Only runs first seen (or matches finished) at or after this time; all when absent. */
  since?: Date;
  statuses?: RunStatus[];
  batchSize?: number;
}

/** What backfill did. */
export interface BackfillReport {
  queued: number;
  alreadyPending: number;
}

// Runs in the chosen statuses, plus ranked duels with no run at all (a lost enqueue), by keyset.
const CANDIDATES_SQL = `
SELECT match_id FROM (
  SELECT match_id FROM risk_analysis_runs
  WHERE status = ANY($1::text[]) AND ($2::timestamptz IS NULL OR first_seen_at >= $2)
  UNION
  SELECT mh.match_id FROM match_history mh
  WHERE mh.ranked AND mh.mode = 'duel'
    AND ($2::timestamptz IS NULL OR mh.ended_at >= $2)
    AND NOT EXISTS (SELECT 1 FROM risk_analysis_runs r WHERE r.match_id = mh.match_id)
) candidates
WHERE $3::uuid IS NULL OR match_id > $3
ORDER BY match_id
LIMIT $4
`;

/** Re-enqueues every match whose analysis did not complete, in batches. */
export async function backfill(
  db: Database,
  queue: Queue,
  options: BackfillOptions = {},
): Promise<BackfillReport> {
  const statuses = options.statuses ?? DEFAULT_BACKFILL_STATUSES;
  const batchSize = options.batchSize ?? 500;
  const report: BackfillReport = { queued: 0, alreadyPending: 0 };
  let after: string | null = null;
  for (;;) {
    const result: { rows: { match_id: string }[] } = await db.pool.query<{ match_id: string }>(
      CANDIDATES_SQL,
      [statuses, options.since ?? null, after, batchSize],
    );
    for (const { match_id } of result.rows) {
      const outcome = await requeueRankedMatch(queue, match_id);
      if (outcome === 'queued') report.queued += 1;
      else report.alreadyPending += 1;
    }
    if (result.rows.length < batchSize) return report;
    after = result.rows.at(-1)!.match_id;
  }
}
