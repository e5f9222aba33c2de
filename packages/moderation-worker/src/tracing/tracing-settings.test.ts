import { describe, expect, it } from 'vitest';
import { secretValues } from '../commands/secret-redaction.js';
import { workerConfigFromEnv } from '../config.js';
import { WorkerConfigError } from '../errors.js';
import { otlpHeaderValues, tracingSettingsFromEnv } from './tracing-settings.js';

const ENDPOINT = 'http://collector:4318';

function problem(env: Record<string, string>): WorkerConfigError {
  try {
    tracingSettingsFromEnv(env);
  } catch (error) {
    if (error instanceof WorkerConfigError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('tracing settings', () => {
  it('are off unless an OTLP endpoint is set', () => {
    expect(tracingSettingsFromEnv({})).toBeNull();
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ', OTEL_SERVICE_NAME: 'x' })).toBeNull();
    expect(workerConfigFromEnv({ POSTGRES_URL: 'postgres://db/x' }).tracing).toBeNull();
  });

  it('are on with OTEL_EXPORTER_OTLP_ENDPOINT, or the traces endpoint, which wins', () => {
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT })).toEqual({
      endpointVariable: 'OTEL_EXPORTER_OTLP_ENDPOINT',
      endpoint: ENDPOINT,
      sampler: { name: 'parentbased_always_on', ratio: 1 },
    });
    expect(
      tracingSettingsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/v1/traces',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_SDK_DISABLED: 'false',
      }),
    ).toMatchObject({
      endpointVariable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      endpoint: 'https://traces.example/v1/traces',
    });
    expect(
      workerConfigFromEnv({ POSTGRES_URL: 'postgres://db/x', OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT }).tracing,
    ).toMatchObject({ endpoint: ENDPOINT });
  });

  it('read the sampler and its ratio', () => {
    expect(
      tracingSettingsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT,
        OTEL_TRACES_SAMPLER: 'ParentBased_TraceIdRatio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      })?.sampler,
    ).toEqual({ name: 'parentbased_traceidratio', ratio: 0.25 });
  });

  it('are off when the SDK is disabled or the traces exporter is none, endpoint or not', () => {
    expect(
      tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_SDK_DISABLED: 'TRUE' }),
    ).toBeNull();
    expect(
      tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_TRACES_EXPORTER: 'none' }),
    ).toBeNull();
  });

  it('refuse what the worker cannot honour, naming the variable', () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT', /valid URL|http/],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' },
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        /http: or https:/,
      ],
      [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'nope' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', /valid URL/],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
        'OTEL_EXPORTER_OTLP_PROTOCOL',
        /must be http\/protobuf/,
      ],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' },
        'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
        /must be http\/protobuf/,
      ],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_TRACES_EXPORTER: 'zipkin' },
        'OTEL_TRACES_EXPORTER',
        /must be otlp or none/,
      ],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_SDK_DISABLED: 'maybe' },
        'OTEL_SDK_DISABLED',
        /true or false/,
      ],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cr3t-value,broken' },
        'OTEL_EXPORTER_OTLP_HEADERS',
        /entry 2 is not key=value/,
      ],
    ];
    for (const [env, variable, message] of cases) {
      const error = problem(env);
      expect(error.variable).toBe(variable);
      expect(error.message).toMatch(new RegExp(`^${variable}: `));
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('s3cr3t-value');
    }
  });

  it('count the OTLP header values among the secrets kept out of operator output', () => {
    const env = {
      OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=team-key-123,authorization=Bearer%20tok-456',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'api-key=trace-key-789',
    };
    expect(otlpHeaderValues(env)).toEqual(
      expect.arrayContaining(['team-key-123', 'Bearer%20tok-456', 'Bearer tok-456', 'trace-key-789']),
    );
    expect(secretValues(env)).toEqual(
      expect.arrayContaining(['team-key-123', 'Bearer tok-456', 'trace-key-789']),
    );
  });
});
