// The names of the worker's own spans and attributes, in one place for the README and the tests.
// No OpenTelemetry code here: the names are plain strings.

/** Name of the tracer of the analysis spans (their instrumentation scope). */
export const TRACER_NAME = '@geoduels/moderation-worker';
/** Name of the tracer BullMQ's spans are made with (enqueue, process, complete, ...). */
export const BULLMQ_TRACER_NAME = 'bullmq';

/** The analysis spans, children of BullMQ's `process <queue>` span of the job. */
export const SPAN = {
  /** The facts read: the call's wait for a batch slot and the statement. */
  facts: 'moderation.facts.load',
  /** The risk engine call through the client (breaker, retry-less exchange). */
  engine: 'moderation.engine.analyze',
  /** The write of an analysed match (signals, outbox rows, run): wait and statement. */
  store: 'moderation.analysis.store',
  /** A run that stored no signals (skipped, deferred, rejected). */
  recordRun: 'moderation.run.record',
  /** A deferred run turned abandoned. */
  abandonRun: 'moderation.run.abandon',
} as const;

/** The event marking the end of a batched call's wait: its statement started. */
export const STATEMENT_STARTED_EVENT = 'statement started';

/** Attribute keys: OpenTelemetry semantic conventions where one fits, `moderation.*` otherwise. */
export const ATTR = {
  matchId: 'moderation.match_id',
  dbSystem: 'db.system.name',
  /** Matches served by the statement that answered the call (1 when alone). */
  batchSize: 'db.operation.batch.size',
  factsOutcome: 'moderation.facts.outcome',
  players: 'moderation.facts.players',
  /** The `x-request-id` sent to the engine, as the HTTP semantic conventions spell a request header. */
  requestId: 'http.request.header.x-request-id',
  engineStatus: 'moderation.engine.status',
  engineReason: 'moderation.engine.reason',
  httpStatus: 'http.response.status_code',
  detectorVersion: 'moderation.engine.detector_version',
  engineSignals: 'moderation.engine.signals',
  storedSignals: 'moderation.signals.stored',
  outboxInserted: 'moderation.outbox.inserted',
  runStatus: 'moderation.run.status',
} as const;
