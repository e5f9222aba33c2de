import { inspect } from 'node:util';
import { parseGoDuration } from './duration.js';
import { ConfigError, DurationError } from './errors.js';

/** Default per-call deadline (connect + headers + body) when `RISK_ENGINE_TIMEOUT` is unset. */
export const DEFAULT_TIMEOUT_MS = 750;
/** Shortest `RISK_ENGINE_TIMEOUT` accepted: below it even a healthy engine on a LAN times out under load. */
export const MIN_TIMEOUT_MS = 50;
/** Longest `RISK_ENGINE_TIMEOUT` accepted: a worker slot (and a match) held longer than this is a hang, not a call. */
export const MAX_TIMEOUT_MS = 30_000;

/** Connection settings for the risk engine. `token` is readable but never serialised or inspected. */
export interface RiskEngineConfig {
  /** False when `RISK_ENGINE_URL` is unset, empty or blank: the client answers `disabled` without I/O. */
  readonly enabled: boolean;
  /** Base URL without trailing slashes (`null` when disabled). */
  readonly url: string | null;
  /** Bearer token (`null` when none is set). Hidden from `util.inspect` and `JSON.stringify`. */
  readonly token: string | null;
  /** Deadline for one whole exchange in milliseconds. */
  readonly timeoutMs: number;
}

/** The environment variables this module reads. */
export type RiskEngineEnv = Readonly<Record<string, string | undefined>>;

const REDACTED = '[redacted]';

/**
 * Builds a config whose token lives in a closure: `JSON.stringify`, `util.inspect`, spreading and
 * `Object.keys` all show `[redacted]` or nothing, while `config.token` still reads it.
 */
export function createRiskEngineConfig(fields: {
  enabled: boolean;
  url: string | null;
  token: string | null;
  timeoutMs: number;
}): RiskEngineConfig {
  const { token } = fields;
  const visible = () => ({
    enabled: fields.enabled,
    url: fields.url,
    token: token === null ? null : REDACTED,
    timeoutMs: fields.timeoutMs,
  });
  const config = {
    enabled: fields.enabled,
    url: fields.url,
    timeoutMs: fields.timeoutMs,
  };
  Object.defineProperties(config, {
    token: { get: () => token, enumerable: false },
    toJSON: { value: visible, enumerable: false },
    [inspect.custom]: {
      value: (_depth: number, options: object) => `RiskEngineConfig ${inspect(visible(), options)}`,
      enumerable: false,
    },
  });
  return Object.freeze(config) as RiskEngineConfig;
}

/** The environment variables the engine configuration is read from. */
export const RISK_ENGINE_VARIABLES = ['RISK_ENGINE_URL', 'RISK_ENGINE_TOKEN', 'RISK_ENGINE_TIMEOUT'] as const;

/** One of `RISK_ENGINE_VARIABLES`. */
export type RiskEngineVariable = (typeof RISK_ENGINE_VARIABLES)[number];

/** What `readRiskEngineEnv` found: the config, and which variables had surrounding whitespace removed. */
export interface RiskEngineEnvReading {
  readonly config: RiskEngineConfig;
  /** Names (never values) of the variables whose surrounding whitespace was trimmed, in read order. */
  readonly trimmed: readonly RiskEngineVariable[];
}

/**
 * Reads `RISK_ENGINE_URL`, `RISK_ENGINE_TOKEN` and `RISK_ENGINE_TIMEOUT` as production does: surrounding
 * whitespace is trimmed (and reported in `trimmed`, so the caller can warn once), and a URL that is unset,
 * empty or only whitespace means disabled. Throws `ConfigError` naming the variable for any malformed
 * value, the timeout included; never falls back silently.
 */
export function readRiskEngineEnv(env: RiskEngineEnv): RiskEngineEnvReading {
  const trimmed: RiskEngineVariable[] = [];
  const read = (variable: RiskEngineVariable): string | undefined => {
    const raw = env[variable];
    if (raw === undefined) return undefined;
    const value = raw.trim();
    if (value !== raw) trimmed.push(variable);
    return value;
  };
  const url = parseUrl(read('RISK_ENGINE_URL'));
  const token = parseToken(read('RISK_ENGINE_TOKEN'));
  const timeoutMs = parseTimeout(read('RISK_ENGINE_TIMEOUT'));
  return {
    config: createRiskEngineConfig({ enabled: url !== null, url, token, timeoutMs }),
    trimmed,
  };
}

/** `readRiskEngineEnv(env).config`, for callers that do not report trimmed variables. */
export function riskEngineConfigFromEnv(env: RiskEngineEnv): RiskEngineConfig {
  return readRiskEngineEnv(env).config;
}

/**
 * Parses a trimmed `RISK_ENGINE_URL`; null when it is unset or empty. Its errors show at most the
 * URL's origin (scheme, host, port): a path, query string or user part may carry a secret, and the
 * message goes to a startup log.
 */
function parseUrl(value: string | undefined): string | null {
  const variable = 'RISK_ENGINE_URL';
  if (value === undefined || value === '') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      variable,
      'not_a_url',
      'is not an absolute URL (expected e.g. http://risk-engine:8096)',
    );
  }
  const origin = describeOrigin(url);
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(
      variable,
      'credentials_in_url',
      `${origin} contains credentials; put the secret in RISK_ENGINE_TOKEN instead`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(
      variable,
      'unsupported_scheme',
      `scheme ${JSON.stringify(url.protocol.slice(0, -1))} is not http or https`,
    );
  }
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    throw new ConfigError(variable, 'query_or_fragment', `${origin} must not have a query or fragment`);
  }
  return url.href.replace(/\/+$/, '');
}

// Scheme, host and port only; `url.origin` is "null" for schemes without one.
function describeOrigin(url: URL): string {
  return url.host === '' ? JSON.stringify(`${url.protocol}`) : JSON.stringify(`${url.protocol}//${url.host}`);
}

/** Parses a trimmed `RISK_ENGINE_TOKEN`; null when it is unset or empty. */
function parseToken(value: string | undefined): string | null {
  const variable = 'RISK_ENGINE_TOKEN';
  if (value === undefined || value === '') return null;
  // The value itself is never part of this message.
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new ConfigError(variable, 'invalid_characters', 'may only contain visible ASCII characters');
  }
  return value;
}

/** Parses a trimmed `RISK_ENGINE_TIMEOUT`; unset or empty means the default. */
function parseTimeout(value: string | undefined): number {
  const variable = 'RISK_ENGINE_TIMEOUT';
  // Empty counts as unset, as it does for RISK_ENGINE_URL (env files often write `NAME=`).
  if (value === undefined || value === '') return DEFAULT_TIMEOUT_MS;
  // Production falls back to its default on a malformed value; a typo here is a startup error instead.
  let ms: number;
  try {
    ms = parseGoDuration(value);
  } catch (error) {
    if (error instanceof DurationError) throw new ConfigError(variable, error.problem, error.message);
    throw error;
  }
  if (ms < MIN_TIMEOUT_MS || ms > MAX_TIMEOUT_MS) {
    throw new ConfigError(
      variable,
      ms < MIN_TIMEOUT_MS ? 'too_small' : 'too_large',
      `${JSON.stringify(value)} is outside the allowed range of ${MIN_TIMEOUT_MS}ms to ${MAX_TIMEOUT_MS / 1000}s`,
    );
  }
  return ms;
}
