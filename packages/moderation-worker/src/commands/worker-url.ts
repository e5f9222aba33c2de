import type { ListenAddress } from '../config.js';

/** Where `check` finds the worker when no --worker-url is given: its own listen address, on loopback. */
export function workerUrlFromAddress(addr: ListenAddress | null): URL {
  if (addr === null) return new URL('http://127.0.0.1:8093');
  const host =
    addr.host === undefined || addr.host === '0.0.0.0' || addr.host === '::' ? '127.0.0.1' : addr.host;
  return new URL(`http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`);
}

/** Parses --worker-url; an Error value names what is wrong with it. */
export function parseWorkerUrl(value: string): URL | Error {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return new Error(`--worker-url: not a URL (got "${value}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return new Error(`--worker-url: must be http:// or https:// (got "${url.protocol}")`);
  }
  return url;
}
