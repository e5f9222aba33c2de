// BullMQ makes a root span for its own housekeeping too (every blocking fetch of the next job, the
// stalled-job checks): one trace every few seconds per worker, idle or not, none of them a job's.
// This processor passes on every span except those, so a trace is a job's.
import { type Context, SpanKind } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { BULLMQ_TRACER_NAME } from './span-names.js';

/** `next` without BullMQ's root housekeeping spans (internal spans with no parent). */
export function jobSpansOnly(next: SpanProcessor): SpanProcessor {
  return {
    onStart: (span: Span, parentContext: Context) => next.onStart(span, parentContext),
    onEnd: (span: ReadableSpan) => {
      if (!isHousekeeping(span)) next.onEnd(span);
    },
    forceFlush: () => next.forceFlush(),
    shutdown: () => next.shutdown(),
  };
}

function isHousekeeping(span: ReadableSpan): boolean {
  return (
    span.instrumentationScope.name === BULLMQ_TRACER_NAME &&
    span.kind === SpanKind.INTERNAL &&
    span.parentSpanContext === undefined
  );
}
