// The worker's tracing, as the rest of the process sees it. Only this module's types are imported
// statically: loadTracing imports the OpenTelemetry SDK on demand, so a worker that does not trace
// never loads any of it (tracing-off.test.ts checks the module graph).
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Telemetry } from 'bullmq';
import type { AnalyzeMatchDeps } from '../analysis/analyze-match.js';
import type { TracingSettings } from './tracing-settings.js';

/** Tracing, started: BullMQ's telemetry and the spans around the analysis flow. */
export interface Tracing {
  /** For the `telemetry` option of BullMQ queues and workers: enqueue and process spans, joined. */
  readonly telemetry: Telemetry;
  /** `service.name` of the spans (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES or the default). */
  readonly serviceName: string;
  /** The flow with a span around each store call and the engine call. */
  traceFlow(flow: AnalyzeMatchDeps): AnalyzeMatchDeps;
  /** Exports every finished span now. */
  flush(): Promise<void>;
  /** Exports what is left, then stops and unregisters the global OpenTelemetry providers. */
  shutdown(): Promise<void>;
}

/** Options of {@link loadTracing}. */
export interface TracingOptions {
  /**
   * Where finished spans go; default the OTLP/HTTP (protobuf) exporter, configured by the standard
   * OTEL_EXPORTER_OTLP_* variables.
   */
  exporter?: SpanExporter;
}

/**
 * Loads the OpenTelemetry SDK and starts tracing: registers the global tracer provider (W3C trace
 * context, AsyncLocalStorage) with the sampler of `settings`, exporting in batches (OTEL_BSP_*).
 */
export async function loadTracing(settings: TracingSettings, options: TracingOptions = {}): Promise<Tracing> {
  const { startTracing } = await import('./otel-tracing.js');
  return startTracing(settings, options);
}
