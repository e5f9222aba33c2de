// The OpenTelemetry SDK behind Tracing. Loaded only through loadTracing (a dynamic import), never
// statically: see tracing.ts.
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BullMQOtel } from 'bullmq-otel';
import { jobTracesOnly } from './job-traces-only.js';
import { samplerOf } from './sampler.js';
import { BULLMQ_TRACER_NAME, TRACER_NAME } from './span-names.js';
import { tracedAnalyzer } from './traced-analyzer.js';
import { tracedMatchStore } from './traced-match-store.js';
import type { Tracing, TracingOptions } from './tracing.js';
import { DEFAULT_SERVICE_NAME, type TracingSettings } from './tracing-settings.js';

/** Starts the SDK and registers it globally; see loadTracing. */
export function startTracing(settings: TracingSettings, options: TracingOptions): Tracing {
  // Later wins: the SDK's defaults, ours, then what OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': DEFAULT_SERVICE_NAME }))
    .merge(detectResources({ detectors: [envDetector] }));
  const exporter = options.exporter ?? new OTLPTraceExporter();
  const provider = new NodeTracerProvider({
    resource,
    sampler: jobTracesOnly(samplerOf(settings.sampler)),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  const tracer = provider.getTracer(TRACER_NAME);
  return {
    telemetry: new BullMQOtel({ tracerName: BULLMQ_TRACER_NAME }),
    serviceName: String(resource.attributes['service.name']),
    traceFlow: (flow) => ({
      ...flow,
      store: tracedMatchStore(flow.store, tracer),
      analyzer: tracedAnalyzer(flow.analyzer, tracer),
    }),
    flush: () => provider.forceFlush(),
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}
