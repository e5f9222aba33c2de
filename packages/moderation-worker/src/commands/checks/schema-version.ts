import pg from 'pg';
import { REQUIRED_SCHEMA_VERSION, readSchemaVersion } from '../../db/migrate.js';
import { describeEndpoint } from '../secret-redaction.js';
import { type CheckResult, describeError, failed, passed } from './check-result.js';

const NAME = 'schema version';

/**
 * Compares schema_migrations with what this release needs: older or dirty fails, newer passes
 * (an expand-only migration from a newer release is compatible, which is what makes rollback safe).
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
    if (version === null) return failed(NAME, `no migrations applied (${needs}): run migrate up`);
    if (dirty) return failed(NAME, `version ${version} is dirty (a migration failed half-way; ${needs})`);
    if (version < REQUIRED_SCHEMA_VERSION)
      return failed(NAME, `version ${version}, ${needs}: run migrate up`);
    const newer = version > REQUIRED_SCHEMA_VERSION ? ' (newer than this release)' : '';
    return passed(NAME, `version ${version}, clean, ${needs}${newer}`);
  } catch (error) {
    return failed(NAME, `${describeEndpoint(postgresUrl)}: ${describeError(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
}
