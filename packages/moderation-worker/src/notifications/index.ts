// Public face of review notifications; the package index re-exports from here.
export {
  LONG_SCHEDULE_MS,
  MAX_RETRY_AFTER_MS,
  parseRetryAfterBody,
  parseRetryAfterHeader,
  retryDelayMs,
  TRANSIENT_SCHEDULE_MS,
} from './backoff.js';
export { type OutboxDelivery, type OutboxDeliveryOptions, startOutboxDelivery } from './delivery.js';
export type { FailureReason } from './delivery-metrics.js';
export { buildReviewMessage, DISCORD_LIMITS, type EmbedField, type WebhookMessage } from './message.js';
export { type QueuedSignalPayload, SIGNAL_QUEUED, signalDedupeKey } from './outbox-payload.js';
export { WEBHOOK_TIMEOUT_MS } from './webhook.js';
export { redactWebhookUrl } from './webhook-url.js';
