// Which traces the worker keeps. BullMQ makes root spans for its own housekeeping too (every fetch
// of the next job, the stalled-job checks and their 30-second loop, closing): a trace every few
// seconds per worker, idle or not, none of them a job's. A trace starts only at a span of another
// kind, such as an enqueue (producer) or a job's processing (consumer); an internal span without a
// parent is not recorded, and so neither is anything under it.
import { type Context, isSpanContextValid, SpanKind, trace } from '@opentelemetry/api';
import { type Sampler, SamplingDecision, type SamplingResult } from '@opentelemetry/sdk-trace-base';

/** `next`, except that internal root spans, and their trees, are never recorded. */
export function jobTracesOnly(next: Sampler): Sampler {
  return {
    shouldSample(context: Context, traceId, name, kind, attributes, links): SamplingResult {
      const parent = trace.getSpanContext(context);
      if (kind === SpanKind.INTERNAL && (parent === undefined || !isSpanContextValid(parent))) {
        return { decision: SamplingDecision.NOT_RECORD };
      }
      return next.shouldSample(context, traceId, name, kind, attributes, links);
    },
    toString: () => `JobTracesOnly{${next.toString()}}`,
  };
}
