import { type RetryClass, retryDelayMs } from './backoff.js';
import type { FailureReason } from './delivery-metrics.js';
import type { WebhookResult } from './webhook.js';

/** What to record after a failed attempt. */
export interface FailedAttempt {
  reason: FailureReason;
  /** Stored in last_error; never contains the webhook URL. */
  error: string;
  delayMs: number;
  /** Set when the webhook asked every sender to hold off (429). */
  rateLimitMs: number | null;
}

/**
 * Turns a failed webhook answer into the failure reason, the error text and the retry delay;
 * `attempts` counts this attempt (1 = first failure).
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
        'transient',
        attempts,
        result.retryAfterMs,
        true,
      );
    case 'server_error':
      return failure(
        'http_5xx',
        `HTTP ${result.status}${after(result.retryAfterMs)}`,
        'transient',
        attempts,
        result.retryAfterMs,
      );
    case 'client_error':
      return failure(
        'http_4xx',
        `HTTP ${result.status}${result.detail ? ` ${result.detail}` : ''}`,
        'long',
        attempts,
      );
    case 'timeout':
      return failure('timeout', `no response within ${timeoutMs} ms`, 'transient', attempts);
    case 'network':
      return failure('network', result.detail, 'transient', attempts);
  }
}

/** A row that cannot become a message (unknown type or malformed payload): retried rarely, kept. */
export function invalidPayloadAttempt(problem: string, attempts: number): FailedAttempt {
  return failure('invalid_payload', problem, 'long', attempts);
}

function failure(
  reason: FailureReason,
  detail: string,
  retryClass: RetryClass,
  attempts: number,
  retryAfterMs: number | null = null,
  rateLimited = false,
): FailedAttempt {
  return {
    reason,
    error: `${reason}: ${detail}`,
    delayMs: retryDelayMs(retryClass, attempts, retryAfterMs),
    rateLimitMs:
      rateLimited && retryAfterMs !== null ? retryDelayMs('transient', attempts, retryAfterMs) : null,
  };
}

function after(retryAfterMs: number | null): string {
  return retryAfterMs === null ? '' : `, retry after ${retryAfterMs} ms`;
}
