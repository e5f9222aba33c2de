import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Agent, type Dispatcher } from 'undici';
import { type FailedAttempt, failedAttempt, invalidPayloadAttempt } from './attempt-outcome.js';
import { registerDeliveryMetrics } from './delivery-metrics.js';
import { buildReviewMessage } from './message.js';
import { type ClaimedRow, claimDueRows, markSent, readBacklogStats, reschedule } from './outbox.js';
import { SIGNAL_QUEUED } from './outbox-payload.js';
import { parseQueuedSignalPayload } from './payload-schema.js';
import { postWebhook, WEBHOOK_TIMEOUT_MS } from './webhook.js';
import { redactWebhookUrl, scrubWebhookUrl } from './webhook-url.js';

/** Options of {@link startOutboxDelivery}. Nothing here refers to the risk engine, by design. */
export interface OutboxDeliveryOptions {
  pool: pg.Pool;
  /** MODERATION_WEBHOOK_URL (a secret); null leaves every row pending. */
  webhookUrl: string | null;
  logger: Logger;
  /** Registry the delivery metrics are registered on; one delivery per registry. */
  registry: Registry;
  /** Rows claimed and POSTed at once (MODERATION_NOTIFY_CONCURRENCY). */
  concurrency: number;
  /** Pause between polls when the outbox has nothing due; default 1000 ms. */
  pollIntervalMs?: number;
  /** Clock (ms since epoch) for the schedule and leases; default Date.now. */
  now?: () => number;
  /** Bound on one webhook exchange; default 5000 ms. */
  timeoutMs?: number;
  /** How long a claimed row stays invisible to other replicas; default 60 s (well above timeoutMs). */
  leaseMs?: number;
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
 */
export function startOutboxDelivery(options: OutboxDeliveryOptions): OutboxDelivery {
  const { pool, webhookUrl, logger, concurrency } = options;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const leaseMs = options.leaseMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const metrics = registerDeliveryMetrics(options.registry, () => readBacklogStats(pool, new Date(now())));
  const ownDispatcher =
    webhookUrl !== null && !options.dispatcher ? new Agent({ connections: concurrency }) : null;
  const dispatcher = options.dispatcher ?? ownDispatcher ?? undefined;
  const inFlight = new Set<Promise<number>>();
  let stopped = false;
  let rateLimitedUntil = 0;
  let webhookFailing = false;
  let databaseFailing = false;
  let wake: (() => void) | null = null;

  if (webhookUrl === null) {
    logger.info('MODERATION_WEBHOOK_URL is not set: review notifications stay pending in the outbox');
  } else {
    logger.info(
      { webhook: redactWebhookUrl(webhookUrl), concurrency },
      'review notification delivery started',
    );
  }

  const record = async (row: ClaimedRow, failure: FailedAttempt): Promise<void> => {
    const error = webhookUrl === null ? failure.error : scrubWebhookUrl(failure.error, webhookUrl);
    await reschedule(pool, row.id, new Date(now() + failure.delayMs), error);
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
  };

  const deliver = async (url: string, row: ClaimedRow): Promise<void> => {
    const attempts = row.attempts + 1;
    const parsed = row.type === SIGNAL_QUEUED ? parseQueuedSignalPayload(row.payload) : null;
    if (parsed === null || !parsed.ok) {
      const problem = parsed === null ? `unknown outbox type "${row.type}"` : parsed.problem;
      return record(row, invalidPayloadAttempt(problem, attempts));
    }
    const message = buildReviewMessage(parsed.payload, new Date(now()));
    const result = await postWebhook({ url, timeoutMs, now, ...(dispatcher ? { dispatcher } : {}) }, message);
    if (result.kind !== 'sent') return record(row, failedAttempt(result, attempts, timeoutMs));
    await markSent(pool, row.id, new Date(now()));
    metrics.sent.inc();
    if (webhookFailing) {
      webhookFailing = false;
      logger.info('moderation webhook delivering again');
    }
  };

  const drain = async (): Promise<number> => {
    if (webhookUrl === null || now() < rateLimitedUntil) return 0;
    const rows = await claimDueRows(pool, new Date(now()), concurrency, leaseMs);
    const outcomes = await Promise.allSettled(rows.map((row) => deliver(webhookUrl, row)));
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

  const loop = webhookUrl !== null && options.loop !== false ? run() : Promise.resolve();

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
