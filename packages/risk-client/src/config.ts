import { inspect } from 'node:util';
import { parseGoDuration } from './duration.js';
import { ConfigError, DurationError } from './errors.js';

/** Default per-call deadline (connect + headers + body) when `RISK_ENGINE_TIMEOUT` is unset. */
export const DEFAULT_TIMEOUT_MS = 750;

/** Connection settings for the risk engine. `token` is readable but never serialised or inspected. */
export interface RiskEngineConfig {
  /** False when `RISK_ENGINE_URL` is unset or empty: the client answers `disabled` without any I/O. */
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

/**
 * Reads `RISK_ENGINE_URL`, `RISK_ENGINE_TOKEN` and `RISK_ENGINE_TIMEOUT`. Unset or empty URL means
 * disabled. Throws `ConfigError` naming the variable for any malformed value; never falls back silently.
 */
export function riskEngineConfigFromEnv(env: RiskEngineEnv): RiskEngineConfig {
  return createRiskEngineConfig({
    enabled: (env['RISK_ENGINE_URL'] ?? '') !== '',
    url: parseUrl(env['RISK_ENGINE_URL']),
    token: parseToken(env['RISK_ENGINE_TOKEN']),
    timeoutMs: parseTimeout(env['RISK_ENGINE_TIMEOUT']),
  });
}

function parseUrl(raw: string | undefined): string | null {
  const variable = 'RISK_ENGINE_URL';
  if (raw === undefined || raw === '') return null;
  if (raw.trim() !== raw) {
    throw new ConfigError(variable, 'surrounding_whitespace', 'has leading or trailing whitespace');
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(variable, 'not_a_url', `${JSON.stringify(raw)} is not an absolute URL`);
  }
  // Never echo a URL that carries credentials: it would put a secret into a startup log.
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(
      variable,
      'credentials_in_url',
      'contains credentials; put the secret in RISK_ENGINE_TOKEN instead',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(
      variable,
      'unsupported_scheme',
      `scheme ${JSON.stringify(url.protocol.slice(0, -1))} is not http or https`,
    );
  }
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) {
    throw new ConfigError(
      variable,
      'query_or_fragment',
      `${JSON.stringify(raw)} must not have a query or fragment`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

function parseToken(raw: string | undefined): string | null {
  const variable = 'RISK_ENGINE_TOKEN';
  if (raw === undefined || raw === '') return null;
  // The value itself is never part of these messages.
  if (raw.trim() !== raw) {
    throw new ConfigError(
      variable,
      'surrounding_whitespace',
      'has leading or trailing whitespace (a trailing newline from a secret file?)',
    );
  }
  if (!/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError(variable, 'invalid_characters', 'may only contain visible ASCII characters');
  }
  return raw;
}

function parseTimeout(raw: string | undefined): number {
  const variable = 'RISK_ENGINE_TIMEOUT';
  // Empty counts as unset, as it does for RISK_ENGINE_URL (env files often write `NAME=`).
  if (raw === undefined || raw === '') return DEFAULT_TIMEOUT_MS;
  try {
    return parseGoDuration(raw);
  } catch (error) {
    if (error instanceof DurationError) throw new ConfigError(variable, error.problem, error.message);
    throw error;
  }
}
