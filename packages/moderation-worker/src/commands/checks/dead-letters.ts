import pg from 'pg';
import { readDeadLetters } from '../../notifications/outbox.js';
import { describeEndpoint } from '../secret-redaction.js';
import { type CheckResult, describeError, failed, passed } from './check-result.js';

const NAME = 'notifications';

/**
 * Fails while any review notification of the worker's type is dead-lettered: every allowed attempt
 * failed, and it waits for a person (docs/deployment.md, "Retention and dead letters").
 */
export async function checkDeadLetters(postgresUrl: string, timeoutMs: number): Promise<CheckResult> {
  const client = new pg.Client({
    connectionString: postgresUrl,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'moderation-worker-check',
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const dead = await readDeadLetters(client);
    if (dead.count === 0) return passed(NAME, 'no dead-lettered review notifications');
    const last = dead.newestError === null ? '' : `; newest ${dead.newestId}: ${dead.newestError}`;
    return failed(
      NAME,
      `${dead.count} review notification(s) dead-lettered, no longer retried${last}`.slice(0, 300),
    );
  } catch (error) {
    return failed(NAME, `${describeEndpoint(postgresUrl)}: ${describeError(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
}
