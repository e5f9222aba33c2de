import { UNAVAILABLE_REASONS } from '@geoduels/risk-client';
import type { Severity } from '@geoduels/risk-client/signals';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { boundedLabel } from './bounded-label.js';
import {
  BATCH_STATEMENTS,
  BREAKER_STATES,
  BREAKER_TRANSITIONS,
  type BreakerState,
  DISCOVERY_MATCH_OUTCOMES,
  DISCOVERY_PASS_OUTCOMES,
  ENGINE_CALL_LABELS,
  ENGINE_OUTCOMES,
  JOB_OUTCOMES,
  NORMALIZATION_FAMILIES,
  PERMANENT_FAILURE_REASONS,
  READINESS_DEPENDENCIES,
  SIGNAL_SEVERITIES,
  TRANSACTION_CONFLICT_STATES,
} from './metric-labels.js';

export { BREAKER_STATES, type BreakerState } from './metric-labels.js';

/**
 * Most distinct detector keys `moderation_signals_stored_total` keeps as their own label value per
 * process; later keys are counted under `other` (see bounded-label.ts).
 */
export const MAX_DETECTOR_KEY_LABELS = 32;

/**
 * Buckets of the engine call histogram, in seconds: dense around RISK_ENGINE_TIMEOUT's default
 * (750 ms), so a call that only just made it and one cut off by the deadline fall apart.
 */
export const ENGINE_DURATION_BUCKETS = [
  0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1, 1.5, 2.5, 5,
];

/** Stored signals of one detector key and severity, as the analysed-match write reports them. */
export interface StoredSignalCount {
  detectorKey: string | null;
  severity: Severity;
  count: number;
}

/** The worker's Prometheus instruments, all registered on one injected registry. */
export interface WorkerMetrics {
  registry: Registry;
  /** Jobs finished by outcome (each run status, already_analyzed, invalid, error). */
  jobs: Counter<'outcome'>;
  /** Jobs that ended in the queue's failed set, by reason (rejected, abandoned, invalid, unstorable, retries_exhausted). */
  jobsFailed: Counter<'reason'>;
  /** Seconds from taking a job to its outcome. */
  analysisDuration: Histogram<'outcome'>;
  /** Engine calls by result status and unavailable reason ('' when none). */
  engineCalls: Counter<'status' | 'reason'>;
  /** Wall time of each engine call by outcome (ok, rejected, each unavailable reason); disabled is no call. */
  engineDuration: Histogram<'outcome'>;
  /** What the client's normalisation left out or repaired in answered calls, by family and named reason. */
  engineNormalized: Counter<'family' | 'reason'>;
  /** 1 for the breaker's current state, 0 for the others. */
  breakerState: Gauge<'state'>;
  breakerTransitions: Counter<'to'>;
  /** Matches whose run is deferred right now (refreshed by the readiness probe). */
  deferredBacklog: Gauge;
  abandoned: Counter<'reason'>;
  /** Matches settled as unstorable: PostgreSQL refused the engine's answer with a data error (SQLSTATE class 22). */
  unstorableMatches: Counter;
  /** Analysed-match writes run again inside the job after a lost lock race, by SQLSTATE (40001, 40P01). */
  writeConflictRetries: Counter<'sqlstate'>;
  /** Deferred matches that left Redis past RISK_ANALYSIS_PARK_AFTER, by the reason they waited for. */
  parked: Counter<'reason'>;
  /** Matches parked right now (deferred, no job in Redis), as of this replica's last recovery pass. */
  parkedBacklog: Gauge;
  /** Parked matches the recovery sweep put back in the queue. */
  parkedRequeued: Counter;
  /** Matches per batched statement (facts read, analysed-match write). */
  batchSize: Histogram<'statement'>;
  /** Signals the analysed-match write stored (inserted or merged), by detector key and severity. */
  signalsStored: Counter<'detector_key' | 'severity'>;
  /** Seconds from the discovery cursor to now, as of the last pass of this replica's loop (0 until known). */
  discoveryLag: Gauge;
  /** Matches the discovery sweep found, by outcome (queued, already_queued). */
  discoveryMatches: Counter<'outcome'>;
  /** Discovery passes by outcome (swept; locked: another replica was sweeping; not_due: another swept within the interval; failed). */
  discoveryPasses: Counter<'outcome'>;
  /** 1 while /health/ready answers 200. */
  ready: Gauge;
  /** 1 per readiness dependency (redis, postgres, schema) that is up as last probed. */
  dependencyUp: Gauge<'dependency'>;
  /** 1 when Redis's maxmemory-policy is noeviction, 0 otherwise, NaN until read. */
  redisMaxmemoryPolicyOk: Gauge;
  /** Sets the breaker gauge to `state`. */
  setBreakerState(state: BreakerState): void;
  /** Counts what one analysed-match write stored; detector keys beyond the bound count as `other`. */
  countStoredSignals(stored: readonly StoredSignalCount[]): void;
}

/** A registry with the default process and Node.js metrics (memory, CPU, event loop, GC, handles). */
export function createProcessRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Creates and registers the worker's metrics on `registry` (one registry per process, injected). */
export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ) => new Histogram<L>({ name, help, labelNames, buckets, registers });

  const metrics = {
    registry,
    jobs: counter('moderation_analysis_jobs_total', 'Ranked match analysis jobs by outcome', ['outcome']),
    jobsFailed: counter(
      'moderation_analysis_jobs_failed_total',
      "Analysis jobs that ended in the queue's failed set, by reason (never retried by the queue)",
      ['reason'],
    ),
    analysisDuration: histogram(
      'moderation_analysis_duration_seconds',
      'Time to analyse one match (facts, engine call, write)',
      ['outcome'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5],
    ),
    engineCalls: counter(
      'moderation_risk_engine_calls_total',
      'Risk engine calls by result status and unavailable reason',
      ['status', 'reason'],
    ),
    engineDuration: histogram(
      'moderation_risk_engine_request_duration_seconds',
      'Wall time of risk engine calls by outcome (ok, rejected, or why the engine was unavailable)',
      ['outcome'],
      ENGINE_DURATION_BUCKETS,
    ),
    engineNormalized: counter(
      'moderation_risk_engine_normalized_total',
      "Parts of the engine's answers the client dropped or repaired so they can be stored, by family (signal_dropped, payload_dropped, repaired) and reason",
      ['family', 'reason'],
    ),
    breakerState: gauge(
      'moderation_risk_engine_breaker_state',
      'Risk engine circuit breaker state (1 = current)',
      ['state'],
    ),
    breakerTransitions: counter(
      'moderation_risk_engine_breaker_transitions_total',
      'Risk engine circuit breaker transitions by target state',
      ['to'],
    ),
    deferredBacklog: gauge(
      'moderation_deferred_matches',
      'Matches whose analysis is deferred, waiting for the risk engine',
    ),
    abandoned: counter(
      'moderation_abandoned_matches_total',
      'Matches abandoned after the maximum deferral, by last reason',
      ['reason'],
    ),
    unstorableMatches: counter(
      'moderation_unstorable_matches_total',
      "Matches settled as unstorable: PostgreSQL refused the engine's answer with a data error (SQLSTATE class 22)",
    ),
    writeConflictRetries: counter(
      'moderation_db_write_conflict_retries_total',
      'Analysed-match writes run again inside the job after a deadlock (40P01) or serialization failure (40001)',
      ['sqlstate'],
    ),
    parked: counter(
      'moderation_parked_matches_total',
      'Deferred matches parked (their job left Redis, their run waits in PostgreSQL) after RISK_ANALYSIS_PARK_AFTER, by last reason',
      ['reason'],
    ),
    parkedBacklog: gauge(
      'moderation_parked_matches',
      'Matches parked right now: deferred, waiting in PostgreSQL (not Redis) for the engine to answer again',
    ),
    parkedRequeued: counter(
      'moderation_parked_requeued_total',
      'Parked matches the recovery sweep re-enqueued',
    ),
    batchSize: histogram(
      'moderation_db_batch_size',
      'Matches per batched PostgreSQL statement (facts read, analysed-match write)',
      ['statement'],
      [1, 2, 4, 8, 16, 32, 64, 128],
    ),
    signalsStored: counter(
      'moderation_signals_stored_total',
      `Risk engine signals stored (inserted or merged) by detector key (at most ${MAX_DETECTOR_KEY_LABELS} keys, then "other"; "none" without a key) and severity`,
      ['detector_key', 'severity'],
    ),
    discoveryLag: gauge(
      'moderation_discovery_lag_seconds',
      'Seconds since the discovery cursor: every ranked duel that ended before it has been examined',
    ),
    discoveryMatches: counter(
      'moderation_discovery_matches_total',
      'Ranked duels without an analysis run found by the discovery sweep, by outcome',
      ['outcome'],
    ),
    discoveryPasses: counter(
      'moderation_discovery_passes_total',
      'Discovery sweep passes by outcome (swept, locked or not_due because of another replica, failed)',
      ['outcome'],
    ),
    ready: gauge(
      'moderation_worker_ready',
      'Whether the worker is ready (1) or not (0), as /health/ready answers',
    ),
    dependencyUp: gauge(
      'moderation_worker_dependency_up',
      'Whether each readiness dependency was up at the last probe (redis, postgres, schema current)',
      ['dependency'],
    ),
    redisMaxmemoryPolicyOk: gauge(
      'moderation_redis_maxmemory_policy_ok',
      "1 when Redis's maxmemory-policy is noeviction (queue keys are never evicted), 0 otherwise; NaN until read",
    ),
  };
  const detectorKey = boundedLabel(MAX_DETECTOR_KEY_LABELS);
  const worker: WorkerMetrics = {
    ...metrics,
    setBreakerState(state) {
      for (const each of BREAKER_STATES) metrics.breakerState.set({ state: each }, each === state ? 1 : 0);
    },
    countStoredSignals(stored) {
      for (const { detectorKey: key, severity, count } of stored) {
        metrics.signalsStored.inc({ detector_key: detectorKey(key), severity }, count);
      }
    },
  };
  preinitialise(worker);
  return worker;
}

// Every series a dashboard or an alert reads, present at zero (NaN for the policy: unknown) from start.
function preinitialise(m: WorkerMetrics): void {
  for (const outcome of JOB_OUTCOMES) {
    m.jobs.inc({ outcome }, 0);
    m.analysisDuration.zero({ outcome });
  }
  for (const reason of PERMANENT_FAILURE_REASONS) m.jobsFailed.inc({ reason }, 0);
  for (const labels of ENGINE_CALL_LABELS) m.engineCalls.inc(labels, 0);
  for (const outcome of ENGINE_OUTCOMES) m.engineDuration.zero({ outcome });
  for (const [family, reasons] of NORMALIZATION_FAMILIES) {
    for (const reason of reasons) m.engineNormalized.inc({ family, reason }, 0);
  }
  for (const reason of UNAVAILABLE_REASONS) m.abandoned.inc({ reason }, 0);
  m.unstorableMatches.inc(0);
  for (const sqlstate of TRANSACTION_CONFLICT_STATES) m.writeConflictRetries.inc({ sqlstate }, 0);
  for (const reason of UNAVAILABLE_REASONS) m.parked.inc({ reason }, 0);
  m.parkedRequeued.inc(0);
  m.setBreakerState('disabled');
  for (const to of BREAKER_TRANSITIONS) m.breakerTransitions.inc({ to }, 0);
  for (const statement of BATCH_STATEMENTS) m.batchSize.zero({ statement });
  for (const severity of SIGNAL_SEVERITIES) m.signalsStored.inc({ detector_key: 'other', severity }, 0);
  for (const outcome of DISCOVERY_MATCH_OUTCOMES) m.discoveryMatches.inc({ outcome }, 0);
  for (const outcome of DISCOVERY_PASS_OUTCOMES) m.discoveryPasses.inc({ outcome }, 0);
  m.ready.set(0);
  for (const dependency of READINESS_DEPENDENCIES) m.dependencyUp.set({ dependency }, 0);
  m.redisMaxmemoryPolicyOk.set(Number.NaN);
}
