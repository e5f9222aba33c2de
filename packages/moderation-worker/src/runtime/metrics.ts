import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Breaker states as the client names them. */
export const BREAKER_STATES = ['disabled', 'closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** The worker's Prometheus instruments, all registered on one injected registry. */
export interface WorkerMetrics {
  registry: Registry;
  /** Jobs finished by outcome (analyzed, skipped_disabled, skipped_no_facts, deferred, abandoned, rejected, invalid, error). */
  jobs: Counter<'outcome'>;
  /** Seconds from taking a job to its outcome. */
  analysisDuration: Histogram<'outcome'>;
  /** Engine calls by result status and unavailable reason ('' when none). */
  engineCalls: Counter<'status' | 'reason'>;
  /** 1 for the breaker's current state, 0 for the others. */
  breakerState: Gauge<'state'>;
  breakerTransitions: Counter<'to'>;
  /** Matches whose run is deferred right now (refreshed by the readiness probe). */
  deferredBacklog: Gauge;
  abandoned: Counter<'reason'>;
  /** Matches per batched statement (facts read, analysed-match write). */
  batchSize: Histogram<'statement'>;
  /** Seconds from the discovery cursor to now, as of the last pass of this replica's loop (0 until known). */
  discoveryLag: Gauge;
  /** Matches the discovery sweep found, by outcome (queued, already_queued). */
  discoveryMatches: Counter<'outcome'>;
  /** Discovery passes by outcome (swept; locked: another replica was sweeping; not_due: another swept within the interval; failed). */
  discoveryPasses: Counter<'outcome'>;
  /** Sets the breaker gauge to `state`. */
  setBreakerState(state: BreakerState): void;
}

/** Creates and registers the worker's metrics on `registry` (one registry per process, injected). */
export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  const registers = [registry];
  const breakerState = new Gauge({
    name: 'moderation_risk_engine_breaker_state',
    help: 'Risk engine circuit breaker state (1 = current)',
    labelNames: ['state'] as const,
    registers,
  });
  return {
    registry,
    jobs: new Counter({
      name: 'moderation_analysis_jobs_total',
      help: 'Ranked match analysis jobs by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    analysisDuration: new Histogram({
      name: 'moderation_analysis_duration_seconds',
      help: 'Time to analyse one match (facts, engine call, write)',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5],
      registers,
    }),
    engineCalls: new Counter({
      name: 'moderation_risk_engine_calls_total',
      help: 'Risk engine calls by result status and unavailable reason',
      labelNames: ['status', 'reason'] as const,
      registers,
    }),
    breakerState,
    breakerTransitions: new Counter({
      name: 'moderation_risk_engine_breaker_transitions_total',
      help: 'Risk engine circuit breaker transitions by target state',
      labelNames: ['to'] as const,
      registers,
    }),
    deferredBacklog: new Gauge({
      name: 'moderation_deferred_matches',
      help: 'Matches whose analysis is deferred, waiting for the risk engine',
      registers,
    }),
    abandoned: new Counter({
      name: 'moderation_abandoned_matches_total',
      help: 'Matches abandoned after the maximum deferral, by last reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    batchSize: new Histogram({
      name: 'moderation_db_batch_size',
      help: 'Matches per batched PostgreSQL statement (facts read, analysed-match write)',
      labelNames: ['statement'] as const,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    }),
    discoveryLag: new Gauge({
      name: 'moderation_discovery_lag_seconds',
      help: 'Seconds since the discovery cursor: every ranked duel that ended before it has been examined',
      registers,
    }),
    discoveryMatches: new Counter({
      name: 'moderation_discovery_matches_total',
      help: 'Ranked duels without an analysis run found by the discovery sweep, by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    discoveryPasses: new Counter({
      name: 'moderation_discovery_passes_total',
      help: 'Discovery sweep passes by outcome (swept, locked or not_due because of another replica, failed)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    setBreakerState(state) {
      for (const each of BREAKER_STATES) breakerState.set({ state: each }, each === state ? 1 : 0);
    },
  };
}
