import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Agent, type Dispatcher } from 'undici';
import { cutLastError, type FailedAttempt, failedAttempt, invalidPayloadAttempt } from './attempt-outcome.js';
import { type DeliveryMetrics, registerDeliveryMetrics } from './delivery-metrics.js';
import { buildReviewMessage } from './message.js';
import {
  type ClaimedRow,
  claimDueRows,
  DEFAULT_MAX_ATTEMPTS,
  deadLetter as markDeadLetter,
  markSent,
  readBacklogStats,
  reschedule,
} from './outbox.js';
import { parseQueuedSignalPayload } from './payload-schema.js';
import { postWebhook, WEBHOOK_TIMEOUT_MS } from './webhook.js';
import { redactWebhookUrl, scrubWebhookUrl } from './webhook-url.js';
import type { WebhookSetting, WebhookUrlSource } from './webhook-url-source.js';

/** Default lease of a claimed row, as production's worker: far above one bounded POST. */
export const DEFAULT_LEASE_MS = 300_000;

/** Options of {@link startOutboxDelivery}. Nothing here refers to the risk engine, by design. */
export interface OutboxDeliveryOptions {
  pool: pg.Pool;
  /** Which webhook to post to, asked before each claim; no URL leaves every row pending. */
  webhook: WebhookUrlSource;
  logger: Logger;
  /** Registry the delivery metrics are registered on; one delivery per registry. */
  registry: Registry;
  /**
   * The delivery metrics, already registered on `registry` (the worker registers them at start, so
   * they are scraped before delivery begins); default: registered here.
   */
  metrics?: DeliveryMetrics;
  /** Rows claimed and POSTed at once (MODERATION_NOTIFY_CONCURRENCY). */
  concurrency: number;
  /** Pause between polls when the outbox has nothing due; default 1000 ms. */
  pollIntervalMs?: number;
  /** Clock (ms since epoch) for the schedule and leases; default Date.now. */
  now?: () => number;
  /** Bound on one webhook exchange; default 5000 ms. */
  timeoutMs?: number;
  /** How long a claimed row stays invisible to other claimers; default 5 min (production's lease). */
  leaseMs?: number;
  /**
   * Attempts a notification gets before it is dead-lettered: kept, never claimed again
   * (MODERATION_NOTIFY_MAX_ATTEMPTS); default 20.
   */
  maxAttempts?: number;
  /** False: no background loop, only drainOnce() delivers (tests, one-shot tools). Default true. */
  loop?: boolean;
  /** undici dispatcher for the webhook; default a dedicated Agent closed by stop(). */
  dispatcher?: Dispatcher;
}

/** A running delivery loop. */
export interface OutboxDelivery {
  /** Stops polling, waits for POSTs in flight (each bounded by the timeout) and their bookkeeping. */
  stop(): Promise<void>;
  /** Claims and delivers one batch of due rows now; resolves to the number of rows attempted. */
  drainOnce(): Promise<number>;
}

/**
 * Starts the review-notification loop: its own polling, its own concurrency, independent of the
 * analysis worker and of the risk engine, so reports reach moderators whatever the engine does.
 * It claims only this worker's notification type; other services' rows in the shared outbox are
 * never read or changed.
 */
export function startOutboxDelivery(options: OutboxDeliveryOptions): OutboxDelivery {
  const { pool, webhook, logger, concurrency } = options;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const metrics =
    options.metrics ??
    registerDeliveryMetrics(options.registry, () => readBacklogStats(pool, new Date(now())));
  const ownDispatcher = options.dispatcher ? null : new Agent({ connections: concurrency });
  const dispatcher = options.dispatcher ?? ownDispatcher ?? undefined;
  const inFlight = new Set<Promise<number>>();
  let stopped = false;
  let rateLimitedUntil = 0;
  let webhookFailing = false;
  let databaseFailing = false;
  let wake: (() => void) | null = null;
  let lastSetting: string | null = null;

  // One line per change of webhook, never per poll; the URL itself only ever redacted.
  const noteSetting = (setting: WebhookSetting): void => {
    const key = setting.kind === 'url' ? `url:${setting.url}` : setting.kind;
    if (key === lastSetting) return;
    const first = lastSetting === null || !lastSetting.startsWith('url:');
    lastSetting = key;
    if (setting.kind === 'url') {
      logger.info(
        { webhook: redactWebhookUrl(setting.url), from: setting.origin, concurrency },
        first ? 'review notification delivery started' : 'moderation webhook URL changed',
      );
    } else if (setting.kind === 'none') {
      logger.info(
        'MODERATION_WEBHOOK_URL is not set and site_settings moderation_settings.discordWebhookUrl is empty: review notifications stay pending in the outbox',
      );
    } else {
      logger.warn(
        { problem: setting.problem },
        'site_settings moderation_settings.discordWebhookUrl is not a usable webhook URL: review notifications stay pending in the outbox',
      );
    }
  };

  const record = async (url: string, row: ClaimedRow, failure: FailedAttempt): Promise<void> => {
    const deadLetter = row.attempts >= maxAttempts;
    const scrubbed = scrubWebhookUrl(failure.error, url);
    // Redacted first, then cut; a dead letter says so first, so the cut never drops the marker.
    const error = cutLastError(
      deadLetter ? `dead-lettered after ${row.attempts} attempts; last: ${scrubbed}` : scrubbed,
    );
    if (deadLetter) await markDeadLetter(pool, row.id, error);
    else await reschedule(pool, row.id, new Date(now() + failure.delayMs), error);
    metrics.failed.inc({ reason: failure.reason });
    if (failure.rateLimitMs !== null)
      rateLimitedUntil = Math.max(rateLimitedUntil, now() + failure.rateLimitMs);
    logger.debug(
      { outboxId: row.id, reason: failure.reason, retryInMs: failure.delayMs },
      'notification failed',
    );
    if (failure.reason === 'invalid_payload') {
      // Rare and needs a person: worth a line per row; the row is kept for repair.
      logger.warn({ outboxId: row.id, error }, 'outbox row cannot become a message');
    } else if (!webhookFailing) {
      webhookFailing = true;
      logger.warn(
        { reason: failure.reason, error },
        'moderation webhook failing; notifications will be retried',
      );
    }
    if (deadLetter) {
      // Kept for a person: the claim skips it from now on. One line per row: each needs looking at.
      metrics.deadLettered.inc();
      logger.warn(
        { outboxId: row.id, attempts: row.attempts, reason: failure.reason, error },
        'review notification dead-lettered: kept in the outbox, no longer retried',
      );
    }
  };

  const deliver = async (url: string, row: ClaimedRow): Promise<void> => {
    const parsed = parseQueuedSignalPayload(row.payload);
    if (!parsed.ok) return record(url, row, invalidPayloadAttempt(parsed.problem));
    const message = buildReviewMessage(parsed.payload, new Date(now()));
    const result = await postWebhook({ url, timeoutMs, now, ...(dispatcher ? { dispatcher } : {}) }, message);
    if (result.kind !== 'sent') return record(url, row, failedAttempt(result, row.attempts, timeoutMs));
    await markSent(pool, row.id, new Date(now()));
    metrics.sent.inc();
    if (webhookFailing) {
      webhookFailing = false;
      logger.info('moderation webhook delivering again');
    }
  };

  const drain = async (): Promise<number> => {
    if (now() < rateLimitedUntil) return 0;
    const setting = await webhook.current();
    noteSetting(setting);
    if (setting.kind !== 'url') return 0;
    // Batched: one short statement leases a row for every POST this replica may have in flight,
    // rather than one transaction per row; SKIP LOCKED keeps the batches of replicas disjoint.
    const rows = await claimDueRows(pool, new Date(now()), concurrency, leaseMs);
    const outcomes = await Promise.allSettled(rows.map((row) => deliver(setting.url, row)));
    for (const outcome of outcomes) {
      // Only bookkeeping can fail here; the lease returns the row to the outbox for a retry.
      if (outcome.status === 'rejected') logger.error({ err: outcome.reason }, 'could not record a delivery');
    }
    return rows.length;
  };

  const drainOnce = (): Promise<number> => {
    const running = drain().finally(() => inFlight.delete(running));
    inFlight.add(running);
    return running;
  };

  const run = async (): Promise<void> => {
    while (!stopped) {
      let attempted = 0;
      try {
        attempted = await drainOnce();
        if (databaseFailing) logger.info('notification outbox reachable again');
        databaseFailing = false;
      } catch (error) {
        if (!databaseFailing) logger.error({ err: error }, 'cannot claim notifications; retrying');
        databaseFailing = true;
      }
      if (!stopped && attempted < concurrency) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollIntervalMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    }
  };

  const loop = options.loop !== false ? run() : Promise.resolve();

  let stopping: Promise<void> | null = null;
  const stop = async (): Promise<void> => {
    stopped = true;
    wake?.();
    await loop;
    await Promise.allSettled([...inFlight]);
    await ownDispatcher?.close();
  };

  return {
    drainOnce,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}
