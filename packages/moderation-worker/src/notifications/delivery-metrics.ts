import { Counter, Gauge, type Registry } from 'prom-client';
import { scrapeRead } from '../runtime/scrape-read.js';
import type { BacklogStats } from './outbox.js';

/** Why a delivery attempt failed, as the `reason` label of the failure counter. */
export const FAILURE_REASONS = [
  'rate_limited',
  'http_5xx',
  'http_4xx',
  'timeout',
  'network',
  // The row's payload cannot become a message (unparseable); the row is kept for repair.
  'invalid_payload',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** The notification metrics, registered on the registry the worker serves on /metrics. */
export interface DeliveryMetrics {
  sent: Counter;
  failed: Counter<'reason'>;
  /** Notifications this process dead-lettered (their last allowed attempt failed). */
  deadLettered: Counter;
}

/**
 * Registers the delivery metrics, every failure reason at zero. The backlog gauges query lazily on
 * scrape (one shared query per scrape, bounded by `timeoutMs`); a failing query keeps the last
 * values rather than breaking /metrics.
 */
export function registerDeliveryMetrics(
  registry: Registry,
  readStats: () => Promise<BacklogStats>,
  timeoutMs = 1_000,
): DeliveryMetrics {
  const stats = scrapeRead(readStats, { timeoutMs });
  const sent = new Counter({
    name: 'moderation_notifications_sent_total',
    help: 'Review notifications delivered to the moderation webhook.',
    registers: [registry],
  });
  const failed = new Counter({
    name: 'moderation_notifications_failed_total',
    help: 'Failed review notification attempts, by reason (invalid_payload: unparseable row); each is retried.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of FAILURE_REASONS) failed.inc({ reason }, 0);
  const deadLettered = new Counter({
    name: 'moderation_notifications_dead_lettered_total',
    help: 'Review notifications dead-lettered by this process: every allowed attempt failed (MODERATION_NOTIFY_MAX_ATTEMPTS).',
    registers: [registry],
  });
  new Gauge({
    name: 'moderation_outbox_dead_letters',
    help: 'Review notifications dead-lettered and kept in the outbox (unsent, every attempt used); each needs a person.',
    registers: [registry],
    async collect() {
      const current = await stats();
      if (current !== null) this.set(current.deadLetters);
    },
  });
  new Gauge({
    name: 'moderation_outbox_backlog',
    help: 'Review notifications not yet delivered that will still be attempted (dead letters apart).',
    registers: [registry],
    async collect() {
      const current = await stats();
      if (current !== null) this.set(current.backlog);
    },
  });
  new Gauge({
    name: 'moderation_outbox_oldest_pending_seconds',
    help: 'Age of the oldest undelivered review notification (since its row was created), 0 when none.',
    registers: [registry],
    async collect() {
      const current = await stats();
      if (current !== null) this.set(current.oldestPendingSeconds);
    },
  });
  return { sent, failed, deadLettered };
}
