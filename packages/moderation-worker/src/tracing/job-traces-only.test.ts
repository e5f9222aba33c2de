import { context, ROOT_CONTEXT, type SpanContext, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { jobTracesOnly } from './job-traces-only.js';
import { samplerOf } from './sampler.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

function under(flags: TraceFlags) {
  const parent: SpanContext = {
    traceId: TRACE_ID,
    spanId: 'b7ad6b7169203331',
    traceFlags: flags,
    isRemote: false,
  };
  return trace.setSpanContext(ROOT_CONTEXT, parent);
}

function decide(
  kind: SpanKind,
  parentContext = context.active(),
  settings = samplerOf({ name: 'parentbased_always_on', ratio: 1 }),
) {
  return jobTracesOnly(settings).shouldSample(parentContext, TRACE_ID, 'span', kind, {}, []).decision;
}

describe('the job-traces-only sampler', () => {
  it('records no internal span without a parent: BullMQ housekeeping starts no trace', () => {
    expect(decide(SpanKind.INTERNAL, ROOT_CONTEXT)).toBe(SamplingDecision.NOT_RECORD);
  });

  it('lets an enqueue or a processing span start a trace', () => {
    expect(decide(SpanKind.PRODUCER, ROOT_CONTEXT)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(SpanKind.CONSUMER, ROOT_CONTEXT)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it("follows the parent's decision inside a trace, internal spans included", () => {
    expect(decide(SpanKind.INTERNAL, under(TraceFlags.SAMPLED))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(SpanKind.INTERNAL, under(TraceFlags.NONE))).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(SpanKind.CLIENT, under(TraceFlags.NONE))).toBe(SamplingDecision.NOT_RECORD);
  });

  it('leaves the rest to the sampler OTEL_TRACES_SAMPLER names', () => {
    const off = samplerOf({ name: 'parentbased_always_off', ratio: 1 });
    expect(decide(SpanKind.CONSUMER, ROOT_CONTEXT, off)).toBe(SamplingDecision.NOT_RECORD);
    const none = samplerOf({ name: 'traceidratio', ratio: 0 });
    expect(decide(SpanKind.CONSUMER, ROOT_CONTEXT, none)).toBe(SamplingDecision.NOT_RECORD);
    expect(samplerOf({ name: 'parentbased_traceidratio', ratio: 0.25 }).toString()).toContain(
      'TraceIdRatioBased{0.25}',
    );
    expect(samplerOf({ name: 'always_on', ratio: 1 }).toString()).toBe('AlwaysOnSampler');
  });
});
