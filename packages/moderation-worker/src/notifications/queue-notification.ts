import type pg from 'pg';
import { SIGNAL_QUEUED, signalDedupeKey } from './outbox-payload.js';
import { QUEUE_SIGNAL_NOTIFICATION_SQL } from './queue-notification-sql.js';

/**
 * Queues the review notification of a stored signal (id as text or number), or re-arms it when its
 * payload changed; runs inside the caller's transaction when given a client. True when a row was
 * queued or re-armed, false when the queued row already says the same.
 */
export async function queueSignalNotification(
  db: pg.Pool | pg.PoolClient,
  signalId: string | number,
): Promise<boolean> {
  const result = await db.query(QUEUE_SIGNAL_NOTIFICATION_SQL, [
    SIGNAL_QUEUED,
    signalDedupeKey(signalId),
    signalId,
  ]);
  return (result.rowCount ?? 0) > 0;
}
