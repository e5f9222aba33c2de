// The closed label values of the worker's metrics. Every series of these sets is created at zero
// when the metrics are, so dashboards and alerts see each one from the first scrape on (a rate()
// over a series that appears only with its first event misses that event).
import {
  PAYLOAD_DROP_REASONS,
  REPAIR_REASONS,
  SIGNAL_DROP_REASONS,
  UNAVAILABLE_REASONS,
} from '@geoduels/risk-client';
import { SEVERITIES } from '@geoduels/risk-client/signals';
import { RUN_STATUSES } from '../analysis/match-store.js';

/**
 * `moderation_risk_engine_normalized_total{family, reason}`: the client's named normalisation reasons,
 * by family (a signal dropped, a payload dropped, a value repaired in place).
 */
export const NORMALIZATION_FAMILIES = [
  ['signal_dropped', SIGNAL_DROP_REASONS],
  ['payload_dropped', PAYLOAD_DROP_REASONS],
  ['repaired', REPAIR_REASONS],
] as const;

/** Breaker states as the client names them. */
export const BREAKER_STATES = ['disabled', 'closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** States a breaker transition can go to. */
export const BREAKER_TRANSITIONS = ['open', 'half_open', 'closed'] as const;

/** How an analysis job ended, as `moderation_analysis_jobs_total{outcome}` counts it. */
export const JOB_OUTCOMES = [...RUN_STATUSES, 'already_analyzed', 'invalid', 'error'] as const;

/**
 * Why a job ended in the queue's failed set: rejected, abandoned, invalid data, an answer PostgreSQL
 * refused to store, or every retry used.
 */
export const PERMANENT_FAILURE_REASONS = [
  'rejected',
  'abandoned',
  'invalid',
  'unstorable',
  'retries_exhausted',
] as const;
export type PermanentFailureReason = (typeof PERMANENT_FAILURE_REASONS)[number];

/** How an engine call ended: answered, refused the request, or each reason it was unavailable. */
export const ENGINE_OUTCOMES = ['ok', 'rejected', ...UNAVAILABLE_REASONS] as const;
export type EngineOutcome = (typeof ENGINE_OUTCOMES)[number];

/** The `{status, reason}` pairs of `moderation_risk_engine_calls_total` (reason '' when none). */
export const ENGINE_CALL_LABELS: ReadonlyArray<{ status: string; reason: string }> = [
  { status: 'ok', reason: '' },
  { status: 'disabled', reason: '' },
  { status: 'rejected', reason: '' },
  ...UNAVAILABLE_REASONS.map((reason) => ({ status: 'unavailable', reason })),
];

/** Severities of stored signals. */
export const SIGNAL_SEVERITIES = SEVERITIES;

/** The batched statements of the match store. */
export const BATCH_STATEMENTS = ['facts', 'store'] as const;

/** Outcomes of the matches a discovery pass found. */
export const DISCOVERY_MATCH_OUTCOMES = ['queued', 'already_queued'] as const;

/** Outcomes of a discovery pass. */
export const DISCOVERY_PASS_OUTCOMES = ['swept', 'locked', 'not_due', 'failed'] as const;

/** What readiness depends on: Redis and PostgreSQL answering, and the schema current. */
export const READINESS_DEPENDENCIES = ['redis', 'postgres', 'schema'] as const;
export type ReadinessDependency = (typeof READINESS_DEPENDENCIES)[number];

/** SQLSTATEs of a lost lock race that the analysed-match write retries inside the job. */
export { TRANSACTION_CONFLICT_STATES } from '../analysis/store-error.js';
