// One job's trace, end to end in this process: the producer's enqueue (the API's helper, with its
// telemetry), the worker's processing, and the facts read, engine call and write inside it, against
// real PostgreSQL, Redis and a fake engine over a socket, exported to memory.
import { type FakeRiskEngine, startFakeRiskEngine } from '@geoduels/fake-risk-engine';
import type { RiskClient } from '@geoduels/risk-client';
import { REDIS_URL, type TempDatabase } from '@geoduels/test-support';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProducerConnection,
  enqueueRankedMatchPersisted,
  JOB_NAME,
  QUEUE_NAME,
} from '../analysis/job.js';
import { batchedMatchStore } from '../analysis/match-io.js';
import type { Database } from '../db/pool.js';
import type { RedisConnection } from '../runtime/redis-connection.js';
import { closedPort } from '../test-support/closed-port.js';
import {
  captureLogger,
  clientFor,
  createMigratedDatabase,
  eventually,
  seedMatch,
  startTestWorker,
  type TestWorker,
} from '../test-support/worker-harness.js';
import { ATTR, SPAN, STATEMENT_STARTED_EVENT, TRACER_NAME } from './span-names.js';
import { loadTracing, type Tracing } from './tracing.js';
import { DEFAULT_SERVICE_NAME, tracingSettingsFromEnv } from './tracing-settings.js';

let temp: TempDatabase;
let db: Database;
let engine: FakeRiskEngine;
let client: RiskClient;
let tracing: Tracing;
let worker: TestWorker;
let producer: RedisConnection;
const exporter = new InMemorySpanExporter();

const PLAYER_A = '91000000-0000-4000-8000-00000000000a';
const PLAYER_B = '91000000-0000-4000-8000-00000000000b';

async function seed(matchId: string): Promise<void> {
  await seedMatch(db, matchId, [
    { userId: PLAYER_A, events: [[1, 4000, 2000, 0.5, '2026-02-28T10:00:00Z']] },
    { userId: PLAYER_B, events: [[1, 3000, 6000, 0.1, '2026-02-28T10:00:00Z']] },
  ]);
}

/** The exported spans once `probe` finds what it waits for (spans end after the job settles). */
async function spansWhen(probe: (spans: ReadableSpan[]) => boolean): Promise<ReadableSpan[]> {
  return eventually(async () => {
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    return probe(spans) ? spans : undefined;
  });
}

function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name);
  expect(found.map((span) => span.name)).toEqual([name]);
  return found[0]!;
}

function isChildOf(child: ReadableSpan, parent: ReadableSpan): boolean {
  return (
    child.spanContext().traceId === parent.spanContext().traceId &&
    child.parentSpanContext?.spanId === parent.spanContext().spanId
  );
}

const MS = 1_000_000n;

function nanos(time: [number, number]): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('tracing'));
  engine = await startFakeRiskEngine();
  client = clientFor(engine.url);
  const settings = tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
  if (settings === null) throw new Error('tracing settings should be on');
  tracing = await loadTracing(settings, { exporter });
  const flow = tracing.traceFlow({
    store: batchedMatchStore(db, { maxBatch: 8 }),
    analyzer: client,
    now: () => new Date(),
    maxDeferMs: 3_600_000,
  });
  worker = await startTestWorker(flow, client, captureLogger().logger, 4, tracing.telemetry);
  producer = createProducerConnection(REDIS_URL);
  await eventually(async () => (producer.status === 'ready' ? true : undefined));
});

afterAll(async () => {
  await worker?.close();
  producer?.disconnect();
  await client?.close();
  await tracing?.shutdown();
  await engine?.stop();
  await db?.pool.end();
  await temp?.drop();
});

describe('tracing of an analysis job', () => {
  it('makes one trace from the enqueue through the facts read, the engine call and the write', async () => {
    const matchId = '92000000-0000-4000-8000-000000000001';
    await seed(matchId);
    exporter.reset();
    const enqueued = await enqueueRankedMatchPersisted(producer, matchId, {
      prefix: worker.queue.opts.prefix,
      telemetry: tracing.telemetry,
    });
    if (!enqueued.ok) throw new Error(`not enqueued: ${enqueued.detail}`);
    const job = await worker.settled(enqueued.jobId);
    expect(job.returnvalue).toMatchObject({ kind: 'analyzed' });
    const spans = await spansWhen((all) => all.some((span) => span.name.startsWith('process ')));

    const enqueue = only(spans, `add ${QUEUE_NAME}.${JOB_NAME}`);
    const processing = only(spans, `process ${QUEUE_NAME}`);
    const facts = only(spans, SPAN.facts);
    const engineCall = only(spans, SPAN.engine);
    const write = only(spans, SPAN.store);
    expect(enqueue.kind).toBe(SpanKind.PRODUCER);
    expect(processing.kind).toBe(SpanKind.CONSUMER);
    expect(isChildOf(processing, enqueue)).toBe(true);
    for (const step of [facts, engineCall, write]) {
      expect(isChildOf(step, processing)).toBe(true);
      expect(step.instrumentationScope.name).toBe(TRACER_NAME);
      expect(step.attributes[ATTR.matchId]).toBe(matchId);
      expect(step.status.code).not.toBe(SpanStatusCode.ERROR);
    }
    // In the flow's order, one after the other (start times may be whole milliseconds, end times not).
    expect(nanos(facts.endTime)).toBeLessThanOrEqual(nanos(engineCall.startTime) + MS);
    expect(nanos(engineCall.endTime)).toBeLessThanOrEqual(nanos(write.startTime) + MS);

    // The engine span carries the x-request-id the engine actually received.
    const received = engine.requests().map((request) => request.headers['x-request-id']);
    expect(received).toEqual([`${enqueued.jobId}.1`]);
    expect(engineCall.kind).toBe(SpanKind.CLIENT);
    expect(engineCall.attributes[ATTR.requestId]).toEqual([`${enqueued.jobId}.1`]);
    expect(engineCall.attributes[ATTR.engineStatus]).toBe('ok');

    expect(facts.attributes).toMatchObject({ [ATTR.factsOutcome]: 'facts', [ATTR.players]: 2 });
    for (const statement of [facts, write]) {
      expect(statement.attributes[ATTR.batchSize]).toBe(1);
      expect(statement.events.map((event) => event.name)).toEqual([STATEMENT_STARTED_EVENT]);
    }
    // What the write did, as the job reports it.
    expect(write.attributes).toMatchObject({
      [ATTR.storedSignals]: job.returnvalue.signalCount,
      [ATTR.outboxInserted]: job.returnvalue.outboxInserted,
    });
    expect(engineCall.attributes[ATTR.engineSignals]).toBeGreaterThanOrEqual(job.returnvalue.signalCount);

    // Nothing else is exported: BullMQ's idle fetches and stalled checks make no traces of their own.
    const traceId = enqueue.spanContext().traceId;
    expect(spans.filter((span) => span.spanContext().traceId !== traceId).map((span) => span.name)).toEqual(
      [],
    );
    expect(processing.resource.attributes['service.name']).toBe(DEFAULT_SERVICE_NAME);
    expect(tracing.serviceName).toBe(DEFAULT_SERVICE_NAME);
  });

  it('records no enqueue span for a producer without telemetry; the processing then starts the trace', async () => {
    const matchId = '92000000-0000-4000-8000-000000000002';
    await seed(matchId);
    exporter.reset();
    // The same connection as the traced producer above: its queue must not be reused here.
    const enqueued = await enqueueRankedMatchPersisted(producer, matchId, {
      prefix: worker.queue.opts.prefix,
    });
    if (!enqueued.ok) throw new Error(`not enqueued: ${enqueued.detail}`);
    await worker.settled(enqueued.jobId);
    const spans = await spansWhen((all) => all.some((span) => span.name.startsWith('process ')));
    expect(spans.filter((span) => span.name.startsWith('add '))).toEqual([]);
    const processing = only(spans, `process ${QUEUE_NAME}`);
    expect(processing.parentSpanContext).toBeUndefined();
    expect(isChildOf(only(spans, SPAN.engine), processing)).toBe(true);
  });

  it("gives each job its own span for its share of a batched statement, with the batch's size", async () => {
    const matchIds = ['92000000-0000-4000-8000-000000000011', '92000000-0000-4000-8000-000000000012'];
    for (const matchId of matchIds) await seed(matchId);
    const unknown = '92000000-0000-4000-8000-000000000013';
    const store = tracing.traceFlow({
      store: batchedMatchStore(db, { maxBatch: 8 }),
      analyzer: client,
      now: () => new Date(),
      maxDeferMs: 1,
    }).store;
    exporter.reset();
    // Three jobs asking at once share one statement; each keeps its own span, under its own parent.
    const tracer = trace.getTracer('job-trace.test');
    const parents = await Promise.all(
      [...matchIds, unknown].map((matchId) =>
        tracer.startActiveSpan(`job ${matchId}`, { kind: SpanKind.CONSUMER }, async (span) => {
          await store.loadFacts(matchId, new Date());
          span.end();
          return span.spanContext().spanId;
        }),
      ),
    );
    const spans = await spansWhen((all) => all.filter((span) => span.name === SPAN.facts).length === 3);
    const factsSpans = spans.filter((span) => span.name === SPAN.facts);
    expect(factsSpans.map((span) => span.parentSpanContext?.spanId).sort()).toEqual([...parents].sort());
    for (const span of factsSpans) {
      expect(span.attributes[ATTR.batchSize]).toBe(3);
      expect(span.events.map((event) => [event.name, event.attributes?.[ATTR.batchSize]])).toEqual([
        [STATEMENT_STARTED_EVENT, 3],
      ]);
    }
    expect(
      factsSpans.map((span) => [span.attributes[ATTR.matchId], span.attributes[ATTR.factsOutcome]]).sort(),
    ).toEqual([
      [matchIds[0], 'facts'],
      [matchIds[1], 'facts'],
      [unknown, 'unknown_match'],
    ]);
  });

  it('marks the engine span failed when the engine is unavailable, with the reason', async () => {
    const matchId = '92000000-0000-4000-8000-000000000021';
    await seed(matchId);
    const down = clientFor(`http://127.0.0.1:${await closedPort()}`);
    const flow = tracing.traceFlow({
      store: batchedMatchStore(db, { maxBatch: 8 }),
      analyzer: down,
      now: () => new Date(),
      maxDeferMs: 3_600_000,
    });
    exporter.reset();
    const facts = await flow.store.loadFacts(matchId, new Date());
    if (facts.kind !== 'facts') throw new Error(`seeded match has no facts: ${facts.kind}`);
    await flow.analyzer.analyze(facts.request, { requestId: 'req-unavailable' });
    await down.close();
    const spans = await spansWhen((all) => all.some((span) => span.name === SPAN.engine));
    const engineCall = only(spans, SPAN.engine);
    expect(engineCall.status.code).toBe(SpanStatusCode.ERROR);
    expect(engineCall.attributes).toMatchObject({
      [ATTR.engineStatus]: 'unavailable',
      [ATTR.engineReason]: 'network',
      [ATTR.requestId]: ['req-unavailable'],
    });
  });
});
