// The discovery sweep: finds persisted ranked duels that have no analysis run and enqueues them with
// the usual job id, so the worker does not depend on the API enqueuing (the API of this era calls
// the engine itself and never does); the API's enqueue is only the faster path. One replica sweeps
// at a time: a pass takes the cursor row with FOR UPDATE SKIP LOCKED in one short transaction (a
// row lock holds through PgBouncer's transaction pooling, a session advisory lock would not), and a
// replica that finds the row taken skips the pass. A match found twice (enqueued but not yet run,
// inside the overlap) is the same BullMQ job, so it is never analysed twice.
import { randomUUID } from 'node:crypto';
import type { Telemetry } from 'bullmq';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { DiscoverySettings } from '../config.js';
import type { Database } from '../db/pool.js';
import { withTransaction } from '../db/transaction.js';
import { IntervalPause } from '../lib/interval-pause.js';
import type { WorkerMetrics } from '../runtime/metrics.js';
import type { RedisConnection } from '../runtime/redis-connection.js';
import {
  advanceCursor,
  type CursorState,
  cursorLagSeconds,
  type LastPass,
  type Micros,
  passDue,
  type SweepPosition,
  sweepWindow,
} from './discovery-cursor.js';
import {
  CLAIM_CURSOR_SQL,
  ENSURE_CURSOR_SQL,
  FIND_UNANALYSED_SQL,
  READ_STATUS_SQL,
  SAVE_CURSOR_SQL,
} from './discovery-sql.js';
import {
  enqueueRankedMatchPersisted,
  openRankedMatchQueue,
  type QueueLocation,
  rankedMatchJobId,
} from './job.js';

/** The discovery part of the /health/ready body; it never fails readiness. */
export interface DiscoveryStatus {
  enabled: boolean;
  /** When a pass (of any replica) last completed, RFC 3339; null before the first. */
  lastSweepAt: string | null;
  /** Seconds from the cursor to now; null until the first round ended. */
  lagSeconds: number | null;
}

/** The status of a worker whose discovery is switched off (or not started yet). */
export const DISCOVERY_OFF: DiscoveryStatus = { enabled: false, lastSweepAt: null, lagSeconds: null };

/** What one pass did. */
export type SweepOutcome =
  /** Another replica holds the cursor: this pass did nothing. */
  | { kind: 'locked' }
  /** Another replica completed a pass less than an interval ago: this pass did nothing. */
  | { kind: 'not_due' }
  /** `found` matches without a run, of which `queued` new jobs; `full` when the batch was full. */
  | { kind: 'swept'; found: number; queued: number; alreadyQueued: number; full: boolean };

/** Options of {@link startDiscovery}. */
export interface DiscoveryOptions {
  db: Database;
  /** A connection that fails at once while Redis is down (the sweep opens the queue on it, and closes only the queue). */
  connection: RedisConnection;
  /** Where the analysis queue lives. */
  queue: QueueLocation;
  settings: Pick<DiscoverySettings, 'intervalMs' | 'batchSize' | 'overlapMs'>;
  logger: Logger;
  metrics: WorkerMetrics;
  /** False: no background loop, only sweepOnce() (tests). Default true. */
  loop?: boolean;
  /** Local clock in ms, to age the last known lag between passes; default Date.now. */
  now?: () => number;
  /** BullMQ telemetry: each enqueue starts the trace of its job. */
  telemetry?: Telemetry;
}

/** A running discovery sweep. */
export interface Discovery {
  /** Runs one pass now. Throws when PostgreSQL or Redis fails; the cursor is then left as it was. */
  sweepOnce(): Promise<SweepOutcome>;
  status(): DiscoveryStatus;
  /** Stops the loop and waits for the pass in flight. */
  stop(): Promise<void>;
}

/** Redis was not there for a pass; the pass is rolled back (or never began) and the next one tries again. */
export class DiscoveryRedisError extends Error {
  override readonly name = 'DiscoveryRedisError';
  readonly code = 'discovery_redis_unavailable';
  constructor(
    /** The match being enqueued, or null when Redis was down before the pass began. */
    readonly matchId: string | null,
    detail: string,
    /** The Redis error behind it, kept so the logged stack and code show where it came from. */
    options?: ErrorOptions,
  ) {
    super(
      matchId === null ? `redis is not ready: ${detail}` : `could not enqueue match ${matchId}: ${detail}`,
      options,
    );
  }
}

// Enqueues in flight at once within one pass: enough to hide Redis round trips, few enough to
// keep the pass (and its row lock) short and Redis calm.
const ENQUEUE_CONCURRENCY = 32;
// Bound on each Redis exchange of a pass: BullMQ waits for a reconnecting connection forever, and the
// pass holds the cursor row meanwhile.
const REDIS_TIMEOUT_MS = 2_000;

interface StatusRow {
  swept_to: string | null;
  last_sweep_at: string | null;
  db_now: string;
}

/** Starts the sweep loop: a pass at once, then every interval, or at once again after a full pass. */
export function startDiscovery(options: DiscoveryOptions): Discovery {
  const { db, connection, settings, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const queue = openRankedMatchQueue(connection, options.queue, options.telemetry);
  queue.on('error', (error) => logger.debug({ err: error }, 'discovery queue error'));
  // Tells this process's passes from other replicas' in the cursor row.
  const me = randomUUID();
  let known: { lastSweepAt: Date | null; lagSeconds: number | null; seenAt: number } | null = null;
  let stopped = false;
  let failing = false;
  const pause = new IntervalPause(settings.intervalMs);

  const remember = (row: StatusRow | undefined): void => {
    if (row === undefined) return;
    const lastSweepAt = micros(row.last_sweep_at);
    known = {
      lastSweepAt: lastSweepAt === null ? null : new Date(Number(lastSweepAt / 1_000n)),
      lagSeconds: cursorLagSeconds(micros(row.swept_to), BigInt(row.db_now)),
      seenAt: now(),
    };
  };

  const enqueue = async (matchId: string): Promise<'queued' | 'already_queued'> => {
    let existing: unknown;
    try {
      existing = await withinRedisTimeout(queue.getJob(rankedMatchJobId(matchId)));
    } catch (error) {
      throw new DiscoveryRedisError(matchId, (error as Error).message, { cause: error });
    }
    if (existing !== undefined) return 'already_queued';
    const result = await enqueueRankedMatchPersisted(queue, matchId, {
      ...options.queue,
      timeoutMs: REDIS_TIMEOUT_MS,
    });
    if (!result.ok) throw new DiscoveryRedisError(matchId, `${result.reason}: ${result.detail}`);
    return 'queued';
  };

  const pass = async (client: pg.PoolClient): Promise<SweepOutcome> => {
    await client.query(ENSURE_CURSOR_SQL);
    const claimed = await client.query<CursorRow>(CLAIM_CURSOR_SQL);
    const row = claimed.rows[0];
    if (row === undefined) {
      remember((await client.query<StatusRow>(READ_STATUS_SQL)).rows[0]);
      metrics.discoveryPasses.inc({ outcome: 'locked' });
      return { kind: 'locked' };
    }
    const state = cursorState(row);
    const dbNow = BigInt(row.db_now);
    if (!passDue(state, lastPass(row), me, dbNow, settings.intervalMs)) {
      remember(row);
      metrics.discoveryPasses.inc({ outcome: 'not_due' });
      return { kind: 'not_due' };
    }
    const window = sweepWindow(state, dbNow, settings.overlapMs);
    const candidates = await client.query<{ match_id: string; ended_at: string }>(FIND_UNANALYSED_SQL, [
      window.after.endedAt.toString(),
      window.after.matchId,
      settings.batchSize,
    ]);
    const found: SweepPosition[] = candidates.rows.map((r) => ({
      endedAt: BigInt(r.ended_at),
      matchId: r.match_id,
    }));
    let queued = 0;
    for (let i = 0; i < found.length; i += ENQUEUE_CONCURRENCY) {
      const slice = found.slice(i, i + ENQUEUE_CONCURRENCY);
      const outcomes = await Promise.all(slice.map((position) => enqueue(position.matchId)));
      queued += outcomes.filter((outcome) => outcome === 'queued').length;
    }
    const next = advanceCursor(state, window, found, settings.batchSize);
    const saved = await client.query<StatusRow>(SAVE_CURSOR_SQL, [
      next.sweptTo?.toString() ?? null,
      next.resume?.after.endedAt.toString() ?? null,
      next.resume?.after.matchId ?? null,
      next.resume?.roundStartedAt.toString() ?? null,
      me,
    ]);
    remember(saved.rows[0]);
    metrics.discoveryPasses.inc({ outcome: 'swept' });
    if (queued > 0) metrics.discoveryMatches.inc({ outcome: 'queued' }, queued);
    if (found.length > queued)
      metrics.discoveryMatches.inc({ outcome: 'already_queued' }, found.length - queued);
    return {
      kind: 'swept',
      found: found.length,
      queued,
      alreadyQueued: found.length - queued,
      full: next.resume !== null,
    };
  };

  const sweepOnce = async (): Promise<SweepOutcome> => {
    // No pass without Redis: it would only hold the cursor row to roll back.
    if (connection.status !== 'ready') throw new DiscoveryRedisError(null, `connection ${connection.status}`);
    // A pass that skipped only read; ending it with COMMIT or ROLLBACK is the same.
    return withTransaction(db.pool, pass);
  };

  const status = (): DiscoveryStatus => {
    if (known === null) return { enabled: true, lastSweepAt: null, lagSeconds: null };
    const aged = known.lagSeconds === null ? null : known.lagSeconds + (now() - known.seenAt) / 1_000;
    return {
      enabled: true,
      lastSweepAt: known.lastSweepAt?.toISOString() ?? null,
      lagSeconds: aged === null ? null : Math.round(aged * 1_000) / 1_000,
    };
  };

  const run = async (): Promise<void> => {
    while (!stopped) {
      let full = false;
      try {
        const outcome = await sweepOnce();
        full = outcome.kind === 'swept' && outcome.full;
        if (outcome.kind === 'swept' && outcome.found > 0) logger.debug(outcome, 'discovery pass');
        if (failing) logger.info('discovery sweeping again');
        failing = false;
      } catch (error) {
        metrics.discoveryPasses.inc({ outcome: 'failed' });
        // One line per failing streak: a PostgreSQL or Redis outage already says why elsewhere.
        if (!failing) logger.error({ err: error }, 'discovery pass failed; retrying every interval');
        failing = true;
      }
      const lag = status().lagSeconds;
      if (lag !== null) metrics.discoveryLag.set(lag);
      if (!stopped && !full) await pause.wait();
    }
  };

  logger.info(
    { intervalMs: settings.intervalMs, batchSize: settings.batchSize, overlapMs: settings.overlapMs },
    'discovery sweep started',
  );
  const loop = options.loop === false ? Promise.resolve() : run();
  let stopping: Promise<void> | null = null;
  return {
    sweepOnce,
    status,
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

interface CursorRow extends StatusRow {
  resume_ended_at: string | null;
  resume_match_id: string | null;
  round_started_at: string | null;
  last_swept_by: string | null;
}

function lastPass(row: CursorRow): LastPass | null {
  const at = micros(row.last_sweep_at);
  return at === null || row.last_swept_by === null ? null : { at, by: row.last_swept_by };
}

function cursorState(row: CursorRow): CursorState {
  const resumeEndedAt = micros(row.resume_ended_at);
  const roundStartedAt = micros(row.round_started_at);
  return {
    sweptTo: micros(row.swept_to),
    resume:
      resumeEndedAt === null || roundStartedAt === null || row.resume_match_id === null
        ? null
        : { after: { endedAt: resumeEndedAt, matchId: row.resume_match_id }, roundStartedAt },
  };
}

function withinRedisTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function micros(value: string | null): Micros | null {
  return value === null ? null : BigInt(value);
}
