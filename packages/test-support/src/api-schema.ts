import { readFile } from 'node:fs/promises';
import { WORKER_PACKAGE_DIR } from './paths.js';
import { runSql } from './run-sql.js';

/** The production-shaped API tables the worker reads and writes (`packages/moderation-worker/db/api-schema.sql`). */
export const API_SCHEMA_FILE = `${WORKER_PACKAGE_DIR}db/api-schema.sql`;

/** Applies the API schema to a database (idempotent, as the file is). */
export async function applyApiSchema(databaseUrl: string): Promise<void> {
  await runSql(databaseUrl, await readFile(API_SCHEMA_FILE, 'utf8'));
}
