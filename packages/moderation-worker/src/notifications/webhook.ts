import { type Dispatcher, request } from 'undici';
import { parseRetryAfterBody, parseRetryAfterHeader } from './backoff.js';
import type { WebhookMessage } from './message.js';
import { scrubWebhookUrl } from './webhook-url.js';

/** Default bound on one whole webhook exchange (connect, headers, body). */
export const WEBHOOK_TIMEOUT_MS = 5_000;

/** Most of an error response body read for a diagnostic or Discord's `retry_after`. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;

/** The outcome of one POST; HTTP and network faults are values, never exceptions. */
export type WebhookResult =
  | { kind: 'sent'; status: number }
  | { kind: 'rate_limited'; status: 429; retryAfterMs: number | null }
  | { kind: 'server_error'; status: number; retryAfterMs: number | null }
  | { kind: 'client_error'; status: number; detail: string }
  | { kind: 'timeout' }
  | { kind: 'network'; detail: string };

/** How to reach the webhook. */
export interface WebhookTarget {
  url: string;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
  now?: () => number;
}

/** POSTs a message to the webhook; any text in the result has the URL scrubbed out. */
export async function postWebhook(target: WebhookTarget, message: WebhookMessage): Promise<WebhookResult> {
  const timeout = AbortSignal.timeout(target.timeoutMs ?? WEBHOOK_TIMEOUT_MS);
  const now = target.now ?? Date.now;
  try {
    const response = await request(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'geoduels-moderation-worker' },
      body: JSON.stringify(message),
      signal: timeout,
      ...(target.dispatcher ? { dispatcher: target.dispatcher } : {}),
    });
    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      await response.body.dump();
      return { kind: 'sent', status };
    }
    const body = await readBounded(response.body, MAX_ERROR_BODY_BYTES);
    const headerDelay = parseRetryAfterHeader(response.headers['retry-after'], now());
    if (status === 429) {
      const bodyDelay = parseRetryAfterBody(body);
      const delays = [headerDelay, bodyDelay].filter((delay): delay is number => delay !== null);
      return { kind: 'rate_limited', status, retryAfterMs: delays.length > 0 ? Math.max(...delays) : null };
    }
    if (status >= 500) return { kind: 'server_error', status, retryAfterMs: headerDelay };
    return { kind: 'client_error', status, detail: scrubWebhookUrl(oneLine(body), target.url) };
  } catch (error) {
    if (timeout.aborted) return { kind: 'timeout' };
    const code = (error as { code?: unknown }).code;
    const detail = typeof code === 'string' ? code : (error as Error).message;
    return { kind: 'network', detail: scrubWebhookUrl(oneLine(String(detail)), target.url) };
  }
}

async function readBounded(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    chunks.push(buffer);
    size += buffer.length;
    // Leaving the loop early destroys the stream, so a huge body is never buffered.
    if (size >= maxBytes) break;
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

// Not cut here: the URL is scrubbed from the whole text first, so a cut cannot leave part of it.
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
