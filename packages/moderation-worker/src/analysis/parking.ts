// Parking: a match that waited deferred in Redis longer than RISK_ANALYSIS_PARK_AFTER leaves Redis.
// Its job is removed as it completes, its run row stays `deferred` in PostgreSQL (marked parked,
// with the start of its deferral window), and the recovery sweep (parked-sweep.ts) re-enqueues it
// once the engine answers again. So an outage costs Redis at most the matches of one threshold,
// whatever its length (docs/performance.md, "Outages and Redis memory").
import type { Job } from 'bullmq';
import type { Database } from '../db/pool.js';
import { PARK_RUN_SQL, PARK_UNTRIED_SQL } from './parking-sql.js';

/** What parking needs: the threshold and where parked runs are recorded. */
export interface Parking {
  /** RISK_ANALYSIS_PARK_AFTER in milliseconds. */
  afterMs: number;
  parker: RunParker;
  /**
   * True while the engine is known down (its breaker open): a match due for parking is then parked
   * without reading its facts or calling the engine, so a backlog leaves Redis at the speed of one
   * write per match.
   */
  engineDown?: () => boolean;
}

/** Records parked runs. */
export interface RunParker {
  /**
   * Marks the deferred run of `matchId` parked at `now`, its deferral window opened at the later of
   * its first sighting and `enqueuedAt`; false when the run is no longer deferred (it is left alone).
   */
  parkRun(matchId: string, enqueuedAt: Date, now: Date): Promise<boolean>;
  /**
   * Parks a match that was not tried (the engine is down): creates its run deferred and parked, or
   * parks its deferred run; false when its run is in any other state (it takes the usual path then).
   */
  parkUntried(matchId: string, enqueuedAt: Date, now: Date): Promise<boolean>;
}

/**
 * Whether a deferred match should leave Redis: its job has been in the queue for `afterMs` or more.
 * The job's age, not the run's: during an outage most jobs wait untouched behind the breaker, and
 * they are the ones that fill Redis.
 */
export function parkDue(enqueuedAt: Date, now: Date, afterMs: number): boolean {
  return now.getTime() - enqueuedAt.getTime() >= afterMs;
}

/** The PostgreSQL run parker: one statement per parked match. */
export function postgresRunParker(db: Database): RunParker {
  return {
    async parkRun(matchId, enqueuedAt, now) {
      const result = await db.pool.query(PARK_RUN_SQL, [matchId, enqueuedAt, now]);
      return (result.rowCount ?? 0) > 0;
    },
    async parkUntried(matchId, enqueuedAt, now) {
      const result = await db.pool.query(PARK_UNTRIED_SQL, [matchId, enqueuedAt, now]);
      return (result.rowCount ?? 0) > 0;
    },
  };
}

/**
 * Makes BullMQ delete the job as it completes, in the same script, so nothing of a parked match stays
 * in Redis (not even a completed job: a later enqueue of the same id would be ignored while one is
 * kept). BullMQ reads the option from the job it is completing, after the processor returned.
 */
export function removeWhenCompleted(job: Job): void {
  job.opts.removeOnComplete = true;
}
