// The periodic retention job: the worker's own rows past MODERATION_RETENTION_DAYS are deleted in
// bounded batches. What it may delete, and why each is the worker's, is in docs/deployment.md
// ("Retention and dead letters").
import type pg from 'pg';
import type { Logger } from 'pino';
import { SIGNAL_QUEUED } from '../notifications/outbox-payload.js';
import {
  PRUNE_FINISHED_RUNS_SQL,
  PRUNE_REPORT_QUOTAS_SQL,
  PRUNE_SENT_NOTIFICATIONS_SQL,
} from './retention-sql.js';

/** When the retention job runs and what it keeps (MODERATION_RETENTION_*). */
export interface RetentionSettings {
  /** Sent notifications and finished runs older than this are deleted (MODERATION_RETENTION_DAYS, default 30 days). */
  maxAgeMs: number;
  /** Pause between passes (MODERATION_RETENTION_INTERVAL, default 1h); the first pass runs at start. */
  intervalMs: number;
}

/** Rows deleted per statement; a pass repeats a statement until it deletes fewer. */
export const RETENTION_BATCH_SIZE = 1_000;
/** Batches per table per pass at most, so one pass stays short; the next pass continues. */
export const RETENTION_MAX_BATCHES = 100;
/** Report-quota rows outlive the longest allowed window (MODERATION_REPORT_RATE_WINDOW at most 7 days). */
const QUOTA_KEEP_MS = 7 * 86_400_000;

/** What one pass deleted, per table. */
export interface PrunedRows {
  notifications: number;
  runs: number;
  reportQuotas: number;
}

/** The tables a pass prunes, as metric labels. */
export type PrunedTable = keyof PrunedRows;

/** Options of {@link pruneOnce} and {@link startRetention}. */
export interface RetentionOptions {
  pool: pg.Pool;
  settings: RetentionSettings;
  logger: Logger;
  /** Clock of the cutoffs; default the wall clock. */
  now?: () => Date;
  /** Called with what each pass deleted (the worker counts it in a metric). */
  onPruned?: (pruned: PrunedRows) => void;
  batchSize?: number;
}

/**
 * Deletes, in batches, sent notifications of the worker's own type and finished runs older than
 * the retention age, and long-expired report quotas. A table whose deletion is refused (e.g. no
 * DELETE privilege on notification_outbox) is reported through `onRefused` and skipped.
 */
export async function pruneOnce(
  options: RetentionOptions,
  onRefused: (table: PrunedTable, error: Error) => void = () => undefined,
): Promise<PrunedRows> {
  const now = (options.now ?? (() => new Date()))();
  const cutoff = new Date(now.getTime() - options.settings.maxAgeMs);
  const batch = options.batchSize ?? RETENTION_BATCH_SIZE;
  const prune = async (table: PrunedTable, sql: string, values: unknown[]): Promise<number> => {
    let total = 0;
    try {
      for (let round = 0; round < RETENTION_MAX_BATCHES; round += 1) {
        const deleted = (await options.pool.query(sql, values)).rowCount ?? 0;
        total += deleted;
        if (deleted < batch) break;
      }
    } catch (error) {
      if ((error as { code?: unknown }).code !== INSUFFICIENT_PRIVILEGE) throw error;
      onRefused(table, error as Error);
    }
    return total;
  };
  return {
    notifications: await prune('notifications', PRUNE_SENT_NOTIFICATIONS_SQL, [SIGNAL_QUEUED, cutoff, batch]),
    runs: await prune('runs', PRUNE_FINISHED_RUNS_SQL, [cutoff, batch]),
    reportQuotas: await prune('reportQuotas', PRUNE_REPORT_QUOTAS_SQL, [
      new Date(now.getTime() - QUOTA_KEEP_MS),
      batch,
    ]),
  };
}

const INSUFFICIENT_PRIVILEGE = '42501';

/** A running retention job. */
export interface Retention {
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * Runs {@link pruneOnce} now and then every interval. A failed pass logs once per outage (warn,
 * then info when a pass succeeds again); a refused table logs once.
 */
export function startRetention(options: RetentionOptions): Retention {
  const { logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failing = false;
  const refused = new Set<PrunedTable>();
  let running: Promise<void> = Promise.resolve();

  const onRefused = (table: PrunedTable, error: Error) => {
    if (refused.has(table)) return;
    refused.add(table);
    logger.warn(
      { table, err: error },
      table === 'notifications'
        ? 'retention may not delete from notification_outbox (no DELETE privilege); sent notifications are left to the API storage clean-up'
        : `retention may not delete ${table}; those rows are kept`,
    );
  };

  const pass = async () => {
    try {
      const pruned = await pruneOnce(options, onRefused);
      options.onPruned?.(pruned);
      if (failing) logger.info('retention pass succeeded again');
      failing = false;
      if (pruned.notifications + pruned.runs + pruned.reportQuotas > 0) {
        logger.info({ ...pruned, maxAgeMs: options.settings.maxAgeMs }, 'retention pass deleted old rows');
      }
    } catch (error) {
      if (!failing) logger.warn({ err: error }, 'retention pass failed; retrying at the next interval');
      failing = true;
    }
  };

  const loop = () => {
    running = pass().finally(() => {
      if (!stopped) timer = setTimeout(loop, options.settings.intervalMs);
    });
  };
  loop();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
