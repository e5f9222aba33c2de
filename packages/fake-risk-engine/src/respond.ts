import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Writes a complete JSON response with an exact content-length. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: OutgoingHttpHeaders,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Writes a JSON error: `error` is the human-readable message (what a client shows as the detail),
 * `code` the stable machine-readable kind; `extra` adds fields such as `field`.
 */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra?: Record<string, unknown>,
  headers?: OutgoingHttpHeaders,
): void {
  sendJson(res, status, { error: message, code, ...extra }, headers);
}
