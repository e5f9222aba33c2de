import { DEFAULT_DETECTORS, DETECTORS_BY_NAME, type Detector } from './detectors/index.js';

/** The process configuration read from the environment. */
export interface ProcessConfig {
  /** Interface to listen on; undefined = all interfaces (Node's default). */
  host: string | undefined;
  port: number;
  /** Secret: never logged. */
  token: string | null;
  control: boolean;
  logRequests: boolean;
  detectors: readonly Detector[];
  recordLimit: number;
}

/** A configuration, or the variable that was wrong and why. */
export type ConfigResult =
  | { ok: true; config: ProcessConfig }
  | { ok: false; variable: string; detail: string };

/** The port when neither `FAKE_RISK_ENGINE_ADDR` nor `PORT` is set. */
export const DEFAULT_PORT = 8096;
/** Requests kept by the process for `GET /__control/requests` unless `FAKE_RISK_ENGINE_RECORD_LIMIT` says otherwise. */
export const DEFAULT_PROCESS_RECORD_LIMIT = 1000;

type Env = Record<string, string | undefined>;
type Field<T> = { ok: true; value: T } | { ok: false; detail: string };

function parsePort(text: string): Field<number> {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  return port >= 0 && port <= 65535
    ? { ok: true, value: port }
    : { ok: false, detail: `"${text}" is not a port (0-65535)` };
}

function parseAddr(text: string): Field<{ host: string | undefined; port: number }> {
  const colon = text.lastIndexOf(':');
  if (colon === -1) return { ok: false, detail: `"${text}" is not ":port" or "host:port"` };
  const port = parsePort(text.slice(colon + 1));
  if (!port.ok) return port;
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { ok: true, value: { host: host === '' ? undefined : host, port: port.value } };
}

function parseFlag(text: string | undefined): Field<boolean> {
  if (text === undefined || text === '' || text === '0' || text === 'false')
    return { ok: true, value: false };
  if (text === '1' || text === 'true') return { ok: true, value: true };
  return { ok: false, detail: `"${text}" is not 1/0/true/false` };
}

function parseDetectors(text: string | undefined): Field<readonly Detector[]> {
  if (text === undefined || text.trim() === '') return { ok: true, value: DEFAULT_DETECTORS };
  const out: Detector[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim();
    if (name === 'default') out.push(...DEFAULT_DETECTORS);
    else if (DETECTORS_BY_NAME.has(name)) out.push(DETECTORS_BY_NAME.get(name)!);
    else
      return {
        ok: false,
        detail: `unknown detector "${name}" (known: default, ${[...DETECTORS_BY_NAME.keys()].join(', ')})`,
      };
  }
  return { ok: true, value: out };
}

/** Reads the process configuration; `FAKE_RISK_ENGINE_ADDR` wins over `PORT`. */
export function processConfigFromEnv(env: Env): ConfigResult {
  let host: string | undefined;
  let port = DEFAULT_PORT;
  if (env['FAKE_RISK_ENGINE_ADDR']) {
    const addr = parseAddr(env['FAKE_RISK_ENGINE_ADDR']);
    if (!addr.ok) return { ok: false, variable: 'FAKE_RISK_ENGINE_ADDR', detail: addr.detail };
    ({ host, port } = addr.value);
  } else if (env['PORT']) {
    const p = parsePort(env['PORT']);
    if (!p.ok) return { ok: false, variable: 'PORT', detail: p.detail };
    port = p.value;
  }
  const control = parseFlag(env['FAKE_RISK_ENGINE_CONTROL']);
  if (!control.ok) return { ok: false, variable: 'FAKE_RISK_ENGINE_CONTROL', detail: control.detail };
  const logRequests = parseFlag(env['FAKE_RISK_ENGINE_LOG_REQUESTS']);
  if (!logRequests.ok)
    return { ok: false, variable: 'FAKE_RISK_ENGINE_LOG_REQUESTS', detail: logRequests.detail };
  const detectors = parseDetectors(env['FAKE_RISK_ENGINE_DETECTORS']);
  if (!detectors.ok) return { ok: false, variable: 'FAKE_RISK_ENGINE_DETECTORS', detail: detectors.detail };
  const limitText = env['FAKE_RISK_ENGINE_RECORD_LIMIT'];
  const recordLimit = limitText ? Number(limitText) : DEFAULT_PROCESS_RECORD_LIMIT;
  if (!Number.isInteger(recordLimit) || recordLimit < 0 || recordLimit > 1_000_000) {
    return {
      ok: false,
      variable: 'FAKE_RISK_ENGINE_RECORD_LIMIT',
      detail: `"${limitText}" is not a whole number 0-1000000`,
    };
  }
  return {
    ok: true,
    config: {
      host,
      port,
      token: env['FAKE_RISK_ENGINE_TOKEN'] || null,
      control: control.value,
      logRequests: logRequests.value,
      detectors: detectors.value,
      recordLimit,
    },
  };
}
