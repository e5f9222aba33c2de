import { Counter, Gauge, type Registry } from 'prom-client';
import type { BacklogStats } from './outbox.js';

/** Why a delivery attempt failed, as the `reason` label of the failure counter. */
export type FailureReason =
  | 'rate_limited'
  | 'http_5xx'
  | 'http_4xx'
  | 'timeout'
  | 'network'
  | 'invalid_payload';

/** The notification metrics, registered on the registry the worker serves on /metrics. */
export interface DeliveryMetrics {
  sent: Counter;
  failed: Counter<'reason'>;
}

/**
 * Registers the delivery metrics. The backlog gauges query lazily on scrape (one shared query per
 * scrape); a failing query keeps the last values rather than breaking /metrics.
 */
export function registerDeliveryMetrics(
  registry: Registry,
  readStats: () => Promise<BacklogStats>,
): DeliveryMetrics {
  let inFlight: Promise<BacklogStats | null> | null = null;
  const stats = (): Promise<BacklogStats | null> => {
    inFlight ??= readStats()
      .catch(() => null)
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
  const sent = new Counter({
    name: 'moderation_notifications_sent_total',
    help: 'Review notifications delivered to the moderation webhook.',
    registers: [registry],
  });
  const failed = new Counter({
    name: 'moderation_notifications_failed_total',
    help: 'Failed review notification attempts, by reason; each is retried.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'moderation_outbox_backlog',
    help: 'Review notifications not yet delivered.',
    registers: [registry],
    async collect() {
      const current = await stats();
      if (current !== null) this.set(current.backlog);
    },
  });
  new Gauge({
    name: 'moderation_outbox_oldest_pending_seconds',
    help: 'Age of the oldest undelivered review notification, 0 when none.',
    registers: [registry],
    async collect() {
      const current = await stats();
      if (current !== null) this.set(current.oldestPendingSeconds);
    },
  });
  return { sent, failed };
}
