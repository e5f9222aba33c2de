// The recovery sweep: brings parked matches (parking.ts) back into the queue once the engine may
// answer again, and abandons those whose deferral window passed RISK_ANALYSIS_MAX_DEFER, so nothing
// parked is lost silently. It runs on start, whenever the engine recovers (engine-watch), and every
// interval. Replica-safe: a pass takes its rows with FOR UPDATE SKIP LOCKED in one short
// transaction, so replicas share the parked runs instead of enqueuing them twice, and the usual job id
// makes a second enqueue of a match the same job. A pass that Redis fails is rolled back: its rows stay
// parked and the next pass takes them again.
import type { Queue, Telemetry } from 'bullmq';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from '../db/pool.js';
import { withTransaction } from '../db/transaction.js';
import { withDeadline } from '../lib/deadline.js';
import { IntervalPause } from '../lib/interval-pause.js';
import type { BreakerState, WorkerMetrics } from '../runtime/metrics.js';
import type { RedisConnection } from '../runtime/redis-connection.js';
import { JOB_NAME, openRankedMatchQueue, type QueueLocation, rankedMatchJobId } from './job.js';
import { ABANDON_EXPIRED_PARKED_SQL, CLAIM_PARKED_SQL, COUNT_PARKED_SQL, UNPARK_SQL } from './parking-sql.js';

/** How many parked matches a pass may bring back. */
export type RecoveryScope = 'all' | 'probe' | 'none';

/**
 * What the engine's state allows: nothing while the breaker is open (the matches would only be
 * parked again), one match as a probe while it is half-open or the last call failed (its answer
 * tells whether the engine is back, and a quiet queue has no other job to probe with), everything
 * once it answers (or is disabled: the matches then settle as skipped).
 */
export function recoveryScope(breaker: BreakerState, answering: boolean): RecoveryScope {
  if (breaker === 'open') return 'none';
  if (breaker === 'half_open') return 'probe';
  return answering || breaker === 'disabled' ? 'all' : 'probe';
}

/** What one pass did. */
export interface RecoveryPass {
  scope: RecoveryScope;
  /** Parked matches whose jobs were added again. */
  requeued: number;
  /** Parked matches that already had a job waiting (unparked: that job will run them). */
  alreadyQueued: number;
  /** Parked matches past the maximum deferral, now `abandoned`. */
  abandoned: number;
  /** Parked matches left after the pass. */
  parked: number;
  /** A batch was full: the next pass runs at once. */
  full: boolean;
}

/** Options of {@link startRecoverySweep}. */
export interface RecoverySweepOptions {
  db: Database;
  /** A connection that fails at once while Redis is down (the sweep opens the queue on it, and closes only the queue). */
  connection: RedisConnection;
  queue: QueueLocation;
  /** What the engine's state allows now. */
  scope: () => RecoveryScope;
  /** Most matches taken per pass (MODERATION_DISCOVERY_BATCH_SIZE). */
  batchSize: number;
  /** Pause between passes that were not full (MODERATION_DISCOVERY_INTERVAL). */
  intervalMs: number;
  /** RISK_ANALYSIS_MAX_DEFER in milliseconds. */
  maxDeferMs: number;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Clock of the deferral windows (the flow's); default the system clock. */
  now?: () => Date;
  /** False: no background loop, only sweepOnce() (tests). Default true. */
  loop?: boolean;
  telemetry?: Telemetry;
}

/** A running recovery sweep. */
export interface RecoverySweep {
  /** Runs one pass now. Throws when PostgreSQL or Redis fails; the pass is then rolled back. */
  sweepOnce(): Promise<RecoveryPass>;
  /** Runs the next pass now instead of after the interval (the engine recovered). */
  wake(): void;
  /** Stops the loop and waits for the pass in flight. */
  stop(): Promise<void>;
}

// Enqueues in flight at once within a pass, and the bound on each Redis exchange (BullMQ would wait
// for a reconnecting connection forever while the pass holds its rows): as in discovery.
const ENQUEUE_CONCURRENCY = 32;
const REDIS_TIMEOUT_MS = 2_000;

type Requeued = 'queued' | 'already_queued' | 'in_flight';

/** Starts the recovery sweep: a pass at once, then every interval, at once again after a full pass or a wake. */
export function startRecoverySweep(options: RecoverySweepOptions): RecoverySweep {
  const { db, connection, logger, metrics, batchSize } = options;
  const now = options.now ?? (() => new Date());
  const queue = openRankedMatchQueue(connection, options.queue, options.telemetry);
  queue.on('error', (error) => logger.debug({ err: error }, 'recovery sweep queue error'));
  let stopped = false;
  let failing = false;
  const pause = new IntervalPause(options.intervalMs);

  const pass = async (client: pg.PoolClient): Promise<Omit<RecoveryPass, 'parked'>> => {
    const at = now();
    const expired = await client.query<{ match_id: string; last_failure: string | null }>(
      ABANDON_EXPIRED_PARKED_SQL,
      [new Date(at.getTime() - options.maxDeferMs), at, batchSize],
    );
    const scope = options.scope();
    const limit = scope === 'all' ? batchSize : scope === 'probe' ? 1 : 0;
    const claimed =
      limit === 0
        ? []
        : (await client.query<{ match_id: string; deferred_since_ms: number }>(CLAIM_PARKED_SQL, [limit]))
            .rows;
    const back: string[] = [];
    let requeued = 0;
    for (let i = 0; i < claimed.length; i += ENQUEUE_CONCURRENCY) {
      const slice = claimed.slice(i, i + ENQUEUE_CONCURRENCY);
      const outcomes = await Promise.all(
        slice.map((row) => requeueParked(queue, row.match_id, row.deferred_since_ms)),
      );
      outcomes.forEach((outcome, j) => {
        // A job in flight may be the one that parked the run a moment ago: it is about to be
        // removed, so the run stays parked for the next pass.
        if (outcome !== 'in_flight') back.push(slice[j]!.match_id);
        if (outcome === 'queued') requeued += 1;
      });
    }
    if (back.length > 0) await client.query(UNPARK_SQL, [back]);
    for (const row of expired.rows) metrics.abandoned.inc({ reason: row.last_failure ?? 'unknown' });
    if (expired.rows.length > 0) {
      logger.warn(
        { abandoned: expired.rows.length, maxDeferMs: options.maxDeferMs },
        'parked matches abandoned after the maximum deferral; backfill re-runs them',
      );
    }
    return {
      scope,
      requeued,
      alreadyQueued: back.length - requeued,
      abandoned: expired.rows.length,
      full:
        expired.rows.length >= batchSize ||
        (scope === 'all' && claimed.length >= batchSize && back.length > 0),
    };
  };

  const sweepOnce = async (): Promise<RecoveryPass> => {
    if (connection.status !== 'ready') throw new Error(`redis is not ready: connection ${connection.status}`);
    const outcome = await withTransaction(db.pool, pass);
    const counted = await db.pool.query<{ n: number }>(COUNT_PARKED_SQL);
    const parked = counted.rows[0]?.n ?? 0;
    metrics.parkedBacklog.set(parked);
    if (outcome.requeued > 0) metrics.parkedRequeued.inc(outcome.requeued);
    return { ...outcome, parked };
  };

  const run = async (): Promise<void> => {
    while (!stopped) {
      let full = false;
      try {
        const outcome = await sweepOnce();
        full = outcome.full;
        if (outcome.requeued > 0 || outcome.alreadyQueued > 0) {
          logger.info(outcome, 'parked matches back in the queue');
        }
        if (failing) logger.info('recovery sweep running again');
        failing = false;
      } catch (error) {
        // One line per failing streak: a PostgreSQL or Redis outage already says why elsewhere.
        if (!failing) logger.error({ err: error }, 'recovery sweep pass failed; retrying every interval');
        failing = true;
      }
      if (stopped || full) continue;
      await pause.wait();
    }
  };

  const loop = options.loop === false ? Promise.resolve() : run();
  let stopping: Promise<void> | null = null;
  return {
    sweepOnce,
    wake() {
      pause.wake();
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        pause.wake();
        await loop;
        await queue.close().catch(() => undefined);
      })();
      return stopping;
    },
  };
}

/**
 * Puts one parked match back in the queue with the usual job id, its job stamped with the start of
 * its deferral window (so the worker still abandons it on time, and parks it again at once if the
 * engine fails again). A finished job of the same id is removed first (BullMQ would ignore the add);
 * a waiting or delayed one already brings the match back.
 */
async function requeueParked(queue: Queue, matchId: string, deferredSinceMs: number): Promise<Requeued> {
  const jobId = rankedMatchJobId(matchId);
  const existing = await withDeadline(queue.getJob(jobId), REDIS_TIMEOUT_MS);
  if (existing) {
    const state = await withDeadline(existing.getState(), REDIS_TIMEOUT_MS);
    if (state === 'active') return 'in_flight';
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return 'already_queued';
    await withDeadline(existing.remove(), REDIS_TIMEOUT_MS);
  }
  await withDeadline(
    queue.add(JOB_NAME, { matchId }, { jobId, timestamp: Math.round(deferredSinceMs) }),
    REDIS_TIMEOUT_MS,
  );
  return 'queued';
}
