import { INVALID_PAYLOAD_DELAY_MS, retryDelayMs } from './backoff.js';
import type { FailureReason } from './delivery-metrics.js';
import type { WebhookResult } from './webhook.js';

/** Longest `last_error` stored, in characters, as production cuts it. */
export const MAX_LAST_ERROR_LENGTH = 1000;

/** What to record after a failed attempt. */
export interface FailedAttempt {
  reason: FailureReason;
  /** Stored in last_error once scrubbed and cut; never contains the webhook URL. */
  error: string;
  delayMs: number;
  /** Set when the webhook asked every sender to hold off (429 with a Retry-After). */
  rateLimitMs: number | null;
}

/**
 * Turns a failed webhook answer into the failure reason, the error text and the retry delay;
 * `attempts` counts this attempt (1 = the first one).
 */
export function failedAttempt(
  result: Exclude<WebhookResult, { kind: 'sent' }>,
  attempts: number,
  timeoutMs: number,
): FailedAttempt {
  switch (result.kind) {
    case 'rate_limited':
      return failure(
        'rate_limited',
        `HTTP 429${after(result.retryAfterMs)}`,
        retryDelayMs(attempts, result.retryAfterMs),
        result.retryAfterMs !== null,
      );
    case 'server_error':
      return failure(
        'http_5xx',
        `HTTP ${result.status}${after(result.retryAfterMs)}`,
        retryDelayMs(attempts, result.retryAfterMs),
      );
    case 'client_error':
      return failure(
        'http_4xx',
        `HTTP ${result.status}${result.detail ? ` ${result.detail}` : ''}`,
        retryDelayMs(attempts),
      );
    case 'timeout':
      return failure('timeout', `no response within ${timeoutMs} ms`, retryDelayMs(attempts));
    case 'network':
      return failure('network', result.detail, retryDelayMs(attempts));
  }
}

/** A row whose payload cannot become a message: pushed a day out, kept for repair. */
export function invalidPayloadAttempt(problem: string): FailedAttempt {
  return failure('invalid_payload', problem, INVALID_PAYLOAD_DELAY_MS);
}

/** Cuts an error text to {@link MAX_LAST_ERROR_LENGTH} characters (code points, as PostgreSQL counts). */
export function cutLastError(text: string): string {
  const chars = [...text];
  return chars.length <= MAX_LAST_ERROR_LENGTH ? text : chars.slice(0, MAX_LAST_ERROR_LENGTH).join('');
}

function failure(reason: FailureReason, detail: string, delayMs: number, rateLimited = false): FailedAttempt {
  return { reason, error: `${reason}: ${detail}`, delayMs, rateLimitMs: rateLimited ? delayMs : null };
}

function after(retryAfterMs: number | null): string {
  return retryAfterMs === null ? '' : `, retry after ${retryAfterMs} ms`;
}
