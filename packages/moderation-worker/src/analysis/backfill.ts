import type { Queue } from 'bullmq';
import type { Database } from '../db/pool.js';
import { BACKFILL_CANDIDATES_SQL } from './backfill-sql.js';
import { requeueRankedMatch } from './job.js';
import type { RunStatus } from './match-store.js';

/** Run statuses backfill re-enqueues by default: the analyses that did not complete. */
export const DEFAULT_BACKFILL_STATUSES: RunStatus[] = ['deferred', 'abandoned', 'skipped_disabled'];

/** What to re-enqueue. */
export interface BackfillOptions {
  /** Only runs first seen (or matches ended) at or after this time; all when absent. */
  since?: Date;
  statuses?: RunStatus[];
  batchSize?: number;
}

/** What backfill did. */
export interface BackfillReport {
  queued: number;
  alreadyPending: number;
}

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
      BACKFILL_CANDIDATES_SQL,
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
