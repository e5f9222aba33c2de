import pg from 'pg';
import { MIGRATIONS_TABLE, REQUIRED_SCHEMA_VERSION, readSchemaVersion } from '../../db/migrate.js';
import { describeEndpoint } from '../secret-redaction.js';
import { type CheckResult, describeError, failed, passed } from './check-result.js';

const NAME = 'schema version';

/**
 * Compares the worker's own MIGRATIONS_TABLE (never the API's schema_migrations) with what this
 * release needs: older or dirty fails, newer passes (an expand-only migration from a newer release
 * is compatible, which is what makes rollback safe).
 */
export async function checkSchemaVersion(postgresUrl: string, timeoutMs: number): Promise<CheckResult> {
  const client = new pg.Client({
    connectionString: postgresUrl,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'moderation-worker-check',
  });
  // A connection that dies after connect emits 'error'; without a listener it would crash the CLI.
  client.on('error', () => {});
  try {
    await client.connect();
    const { version, dirty } = await readSchemaVersion(client);
    const needs = `this release needs ${REQUIRED_SCHEMA_VERSION}`;
    const at = `${MIGRATIONS_TABLE} version ${version ?? 'none'}`;
    if (dirty) return failed(NAME, `${at} is dirty (a migration failed half-way; ${needs})`);
    if (version === null) {
      return failed(
        NAME,
        `no migrations applied (${MIGRATIONS_TABLE} is missing or empty; ${needs}): run migrate up`,
      );
    }
    if (version < REQUIRED_SCHEMA_VERSION) return failed(NAME, `${at}, ${needs}: run migrate up`);
    const newer = version > REQUIRED_SCHEMA_VERSION ? ' (newer than this release)' : '';
    return passed(NAME, `${at}, clean, ${needs}${newer}`);
  } catch (error) {
    return failed(NAME, `${describeEndpoint(postgresUrl)}: ${describeError(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
}
