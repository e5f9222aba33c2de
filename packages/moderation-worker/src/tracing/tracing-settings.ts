// Whether the worker traces, decided from the standard OpenTelemetry variables alone. This module
// loads no OpenTelemetry code: with tracing off, none is ever loaded (see load-tracing.ts).
import { WorkerConfigError } from '../errors.js';

type Env = Record<string, string | undefined>;

/** `service.name` of the worker's spans unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) names one. */
export const DEFAULT_SERVICE_NAME = 'geoduels-risk-analysis-worker';

/** The one OTLP protocol the worker ships an exporter for. */
export const OTLP_PROTOCOL = 'http/protobuf';

/** The samplers of OTEL_TRACES_SAMPLER the worker knows (the specification's built-in ones). */
export const SAMPLERS = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** Which traces are kept (OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG). */
export interface SamplerSettings {
  /** Default `parentbased_always_on`: every job's trace, as its enqueue decided. */
  name: SamplerName;
  /** The share of traces kept by the ratio samplers, 0 to 1 (default 1). */
  ratio: number;
}

/** Tracing is on: spans go to an OTLP/HTTP collector. */
export interface TracingSettings {
  /** The variable that turned tracing on (the traces-specific endpoint wins, as in the SDK). */
  endpointVariable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_EXPORTER_OTLP_ENDPOINT';
  /** Its value; may hold credentials, log it only through describeEndpoint. */
  endpoint: string;
  sampler: SamplerSettings;
}

/**
 * Tracing settings from the OTEL_* variables, or null when tracing is off: no OTLP endpoint,
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. Throws WorkerConfigError naming a variable
 * the worker cannot honour (another protocol or exporter, a malformed endpoint or header list).
 */
export function tracingSettingsFromEnv(env: Env): TracingSettings | null {
  if (sdkDisabled(env)) return null;
  const exporter = optional(env, 'OTEL_TRACES_EXPORTER')?.toLowerCase();
  if (exporter === 'none') return null;
  const traces = optional(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const general = optional(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (traces === undefined && general === undefined) return null;
  if (exporter !== undefined && exporter !== 'otlp') {
    throw new WorkerConfigError('OTEL_TRACES_EXPORTER', `must be otlp or none (got "${exporter}")`);
  }
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'] as const) {
    const protocol = optional(env, name);
    if (protocol !== undefined && protocol !== OTLP_PROTOCOL) {
      throw new WorkerConfigError(
        name,
        `must be ${OTLP_PROTOCOL}, the only exporter shipped (got "${protocol}")`,
      );
    }
  }
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS'] as const) {
    const headers = optional(env, name);
    if (headers !== undefined) checkHeaderList(name, headers);
  }
  const endpointVariable =
    traces !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const endpoint = (traces ?? general)!;
  checkEndpoint(endpointVariable, endpoint);
  return { endpointVariable, endpoint, sampler: samplerFromEnv(env) };
}

/** The values of the OTLP header lists (`key=value,...`): they are usually credentials. */
export function otlpHeaderValues(env: Env): string[] {
  const values: string[] = [];
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS']) {
    for (const pair of optional(env, name)?.split(',') ?? []) {
      const value = pair.slice(pair.indexOf('=') + 1).trim();
      if (pair.includes('=') && value !== '') values.push(value, safeDecode(value));
    }
  }
  return values;
}

function samplerFromEnv(env: Env): SamplerSettings {
  const name = optional(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on';
  if (!(SAMPLERS as readonly string[]).includes(name)) {
    throw new WorkerConfigError(
      'OTEL_TRACES_SAMPLER',
      `must be one of ${SAMPLERS.join(', ')} (got "${name}")`,
    );
  }
  const arg = optional(env, 'OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg === undefined ? 1 : Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new WorkerConfigError('OTEL_TRACES_SAMPLER_ARG', `must be a number from 0 to 1 (got "${arg}")`);
  }
  return { name: name as SamplerName, ratio };
}

function sdkDisabled(env: Env): boolean {
  const value = optional(env, 'OTEL_SDK_DISABLED')?.toLowerCase();
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new WorkerConfigError('OTEL_SDK_DISABLED', `must be true or false (got "${value}")`);
}

function checkEndpoint(name: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WorkerConfigError(name, 'is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WorkerConfigError(name, `must use http: or https: (got ${url.protocol})`);
  }
}

// The values stay out of the message: they are usually API keys.
function checkHeaderList(name: string, value: string): void {
  value.split(',').forEach((pair, index) => {
    const separator = pair.indexOf('=');
    if (separator <= 0 || pair.slice(0, separator).trim() === '') {
      throw new WorkerConfigError(
        name,
        `entry ${index + 1} is not key=value (a comma-separated list of them)`,
      );
    }
  });
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
