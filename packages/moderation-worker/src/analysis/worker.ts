// BullMQ wiring of the flow: maps each MatchOutcome onto the queue (complete, delay, rate-limit, fail).
import { DelayedError, type Job, type Telemetry, UnrecoverableError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { WorkerMetrics } from '../runtime/metrics.js';
import type { RedisConnection } from '../runtime/redis-connection.js';
import { type AnalyzeMatchDeps, analyzeMatch, type MatchOutcome } from './analyze-match.js';
import {
  type BackoffPolicy,
  backoffDelayMs,
  DATABASE_RETRY_BACKOFF,
  DEFAULT_BREAKER_PAUSE_MS,
  DEFERRAL_BACKOFF,
} from './deferral.js';
import type { BreakerEvents, EngineWatch } from './engine-watch.js';
import {
  BACKOFF_STRATEGY,
  describeJobDataError,
  QUEUE_NAME,
  QUEUE_PREFIX,
  rankedMatchJobSchema,
} from './job.js';
import { type Parking, parkDue, removeWhenCompleted } from './parking.js';

/** Everything the analysis worker is built from. */
export interface AnalysisWorkerDeps {
  /** Non-blocking connection (maxRetriesPerRequest: null); BullMQ duplicates it for blocking reads. */
  connection: RedisConnection;
  queueName?: string;
  prefix?: string;
  concurrency: number;
  flow: AnalyzeMatchDeps;
  logger: Logger;
  metrics: WorkerMetrics;
  engine: EngineWatch;
  /** The client's breaker events: while it is open the worker takes one job at a time. */
  breaker?: Pick<BreakerEvents, 'on'>;
  /** Parks matches deferred in Redis past the threshold (parking.ts); none: they stay in Redis. */
  parking?: Parking;
  /** Backoff of deferred matches; default DEFERRAL_BACKOFF. */
  deferralBackoff?: BackoffPolicy;
  /** Jitter source, injectable for tests. */
  random?: () => number;
  /** False to build the worker without consuming until `worker.run()` (default true). */
  autorun?: boolean;
  /** BullMQ telemetry: each job's processing becomes a span in the trace of its enqueue. */
  telemetry?: Telemetry;
}

/** What a completed job returns (kept on the job for inspection). */
export type JobResult =
  | Extract<
      MatchOutcome,
      {
        kind:
          | 'analyzed'
          | 'skipped_disabled'
          | 'skipped_no_facts'
          | 'skipped_invalid_request'
          | 'already_analyzed';
      }
    >
  /** Deferred past the park threshold: the job is removed as it completes, the run waits in PostgreSQL. */
  | { kind: 'parked'; reason: ParkedReason };

type ParkedReason = Extract<MatchOutcome, { kind: 'deferred' }>['reason'];

// A limiter is required for the manual rate limit to hold every replica, not just this one; its
// own bound is far above any real throughput.
const LIMITER = { max: 1_000_000, duration: 1_000 };

/** Creates the BullMQ worker that analyses ranked matches. */
export function createAnalysisWorker(deps: AnalysisWorkerDeps): Worker {
  const random = deps.random ?? Math.random;
  let databaseFailing = false;
  const worker: Worker = new Worker(
    deps.queueName ?? QUEUE_NAME,
    async (job: Job, token?: string) => {
      const started = performance.now();
      const observe = (outcome: string) => {
        deps.metrics.jobs.inc({ outcome });
        deps.metrics.analysisDuration.observe({ outcome }, (performance.now() - started) / 1000);
      };
      const parsed = rankedMatchJobSchema.safeParse(job.data);
      if (!parsed.success) {
        observe('invalid');
        deps.metrics.jobsFailed.inc({ reason: 'invalid' });
        throw new UnrecoverableError(`invalid job data: ${describeJobDataError(parsed.error)}`);
      }
      const matchId = parsed.data.matchId;
      let outcome: MatchOutcome | 'parked';
      try {
        outcome = (await parkUntried(deps, job, matchId))
          ? 'parked'
          : await analyzeMatch(deps.flow, {
              matchId,
              enqueuedAt: new Date(job.timestamp),
              requestId: `${job.id}.${job.attemptsStarted}`,
            });
      } catch (error) {
        observe('error');
        if (lastAttempt(job)) deps.metrics.jobsFailed.inc({ reason: 'retries_exhausted' });
        if (!databaseFailing)
          deps.logger.error({ err: error, matchId }, 'analysis failed; the job will be retried');
        databaseFailing = true;
        throw error;
      }
      if (databaseFailing) deps.logger.info('analysis writes succeed again');
      databaseFailing = false;
      if (outcome === 'parked') {
        observe('deferred');
        return parked({ job, token, worker, deps, random, matchId }, 'breaker_open');
      }
      observe(outcome.kind);
      countEngineCall(deps, outcome);
      if (outcome.kind === 'analyzed') deps.metrics.countStoredSignals(outcome.storedSignals);
      return settle(outcome, { job, token, worker, deps, random, matchId });
    },
    {
      connection: deps.connection,
      prefix: deps.prefix ?? QUEUE_PREFIX,
      concurrency: deps.concurrency,
      autorun: deps.autorun ?? true,
      limiter: LIMITER,
      ...(deps.telemetry !== undefined && { telemetry: deps.telemetry }),
      settings: {
        backoffStrategy: (attemptsMade: number, type?: string) =>
          type === BACKOFF_STRATEGY ? backoffDelayMs(attemptsMade, DATABASE_RETRY_BACKOFF, random) : 0,
      },
    },
  );
  if (deps.breaker) followBreaker(worker, deps.breaker, deps.concurrency);
  return worker;
}

/**
 * While the breaker is open only its half-open probe can reach the engine, so the worker takes one
 * job per wake-up instead of `concurrency`: the waiting matches are not read and deferred again
 * every breaker period for nothing. Full concurrency returns as soon as the breaker closes.
 */
function followBreaker(worker: Worker, breaker: Pick<BreakerEvents, 'on'>, concurrency: number): void {
  breaker.on('open', () => {
    worker.concurrency = 1;
  });
  breaker.on('close', () => {
    worker.concurrency = concurrency;
  });
}

interface SettleContext {
  job: Job;
  token: string | undefined;
  worker: Worker;
  deps: AnalysisWorkerDeps;
  random: () => number;
  matchId: string;
}

async function settle(outcome: MatchOutcome, ctx: SettleContext): Promise<JobResult> {
  const { deps, matchId } = ctx;
  switch (outcome.kind) {
    case 'analyzed':
    case 'skipped_disabled':
    case 'skipped_no_facts':
    case 'already_analyzed':
      deps.logger.debug({ matchId, outcome }, 'match done');
      return outcome;
    case 'skipped_invalid_request':
      deps.logger.warn(
        { matchId, reason: outcome.reason, detail: outcome.detail },
        'match not sent: outside the engine contract',
      );
      return outcome;
    case 'unstorable':
      return settleUnstorable(outcome, deps, matchId);
    case 'deferred':
      if (await park(ctx)) return parked(ctx, outcome.reason);
      deps.logger.debug({ matchId, outcome }, 'match deferred');
      if (outcome.reason === 'breaker_open') {
        // Back to one job at a time until the breaker closes (parking may have raised it).
        if (deps.parking !== undefined && deps.breaker !== undefined) ctx.worker.concurrency = 1;
        // Pause the whole queue (every replica) until the breaker may probe; the job goes back to
        // wait without using an attempt.
        await ctx.worker.rateLimit(Math.max(outcome.retryAfterMs ?? DEFAULT_BREAKER_PAUSE_MS, 1));
        throw Worker.RateLimitError();
      }
      await ctx.job.moveToDelayed(
        Date.now() +
          backoffDelayMs(
            outcome.attempts,
            deps.deferralBackoff ?? DEFERRAL_BACKOFF,
            ctx.random,
            outcome.retryAfterMs,
          ),
        ctx.token,
      );
      throw new DelayedError();
    case 'abandoned':
      deps.metrics.abandoned.inc({ reason: outcome.reason });
      deps.metrics.jobsFailed.inc({ reason: 'abandoned' });
      deps.logger.warn(
        { matchId, reason: outcome.reason, attempts: outcome.attempts },
        'match analysis abandoned',
      );
      throw new UnrecoverableError(`abandoned after the maximum deferral; last reason ${outcome.reason}`);
    case 'rejected':
      deps.metrics.jobsFailed.inc({ reason: 'rejected' });
      deps.logger.warn(
        { matchId, httpStatus: outcome.httpStatus, detail: outcome.detail },
        'engine rejected match',
      );
      throw new UnrecoverableError(`rejected by the risk engine (${outcome.httpStatus}): ${outcome.detail}`);
  }
}

// Counted and failed for good: the next attempt would call the engine again for the same refusal.
function settleUnstorable(
  outcome: Extract<MatchOutcome, { kind: 'unstorable' }>,
  deps: AnalysisWorkerDeps,
  matchId: string,
): never {
  deps.metrics.unstorableMatches.inc();
  deps.metrics.jobsFailed.inc({ reason: 'unstorable' });
  deps.logger.warn(
    { matchId, sqlstate: outcome.sqlstate, detail: outcome.detail },
    'analysed match refused by PostgreSQL',
  );
  throw new UnrecoverableError(`PostgreSQL refused to store the analysed match: ${outcome.detail}`);
}

/**
 * Parks a match due for parking while the engine is known down, before its facts are read: one write,
 * no engine call. False when parking is off, the engine is not known down, the job is not due, or
 * the run is not deferred (it then takes the usual path).
 */
async function parkUntried(deps: AnalysisWorkerDeps, job: Job, matchId: string): Promise<boolean> {
  const parking = deps.parking;
  if (parking?.engineDown === undefined || !parking.engineDown()) return false;
  const enqueuedAt = new Date(job.timestamp);
  const now = deps.flow.now();
  if (!parkDue(enqueuedAt, now, parking.afterMs)) return false;
  if (!(await parking.parker.parkUntried(matchId, enqueuedAt, now))) return false;
  removeWhenCompleted(job);
  return true;
}

/**
 * A parked match's job completes (and is deleted). While the breaker is open the worker takes one job
 * at a time, but parking is cheap and useful work: full concurrency drains the parkable backlog, and
 * the next match that is not due for parking brings it back to one.
 */
function parked(ctx: SettleContext, reason: ParkedReason): JobResult {
  ctx.deps.metrics.parked.inc({ reason });
  ctx.deps.logger.debug({ matchId: ctx.matchId, reason }, 'match parked');
  if (ctx.worker.concurrency !== ctx.deps.concurrency) ctx.worker.concurrency = ctx.deps.concurrency;
  return { kind: 'parked', reason };
}

/**
 * Parks the deferred match of `ctx` when its job waited past the threshold: the run is marked parked
 * first, then the job completes and BullMQ deletes it. A run that is no longer deferred (settled
 * meanwhile by another delivery) is not parked, and the job is deferred as usual.
 */
async function park(ctx: SettleContext): Promise<boolean> {
  const { parking, flow } = ctx.deps;
  if (parking === undefined) return false;
  const enqueuedAt = new Date(ctx.job.timestamp);
  const now = flow.now();
  if (!parkDue(enqueuedAt, now, parking.afterMs)) return false;
  if (!(await parking.parker.parkRun(ctx.matchId, enqueuedAt, now))) return false;
  removeWhenCompleted(ctx.job);
  return true;
}

/** Whether a failure now moves the job to the failed set: no attempt is left for the queue's retry. */
function lastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

function countEngineCall(deps: AnalysisWorkerDeps, outcome: MatchOutcome): void {
  const calls = deps.metrics.engineCalls;
  switch (outcome.kind) {
    case 'analyzed':
    case 'unstorable':
      calls.inc({ status: 'ok', reason: '' });
      deps.engine.noteFault(null);
      return;
    case 'skipped_disabled':
      calls.inc({ status: 'disabled', reason: '' });
      return;
    case 'deferred':
    case 'abandoned':
    case 'already_analyzed':
      calls.inc({ status: 'unavailable', reason: outcome.reason });
      deps.engine.noteFault(outcome.reason);
      return;
    case 'rejected':
      calls.inc({ status: 'rejected', reason: '' });
      deps.engine.noteFault('rejected');
      return;
    case 'skipped_no_facts':
    case 'skipped_invalid_request':
      return;
  }
}
