// What the API owns, observed from outside: its tables' rows (one digest per table) and their shape
// (columns, indexes, constraints, triggers), so a test can prove that nothing the worker runs changed them.
import { queryRows } from '@geoduels/test-support';

/** Every table the API owns and migrates; the worker may never create, alter or drop one. */
export const API_TABLES = [
  'match_history',
  'match_players',
  'moderation_signals',
  'notification_outbox',
  'ranked_guess_events',
  'ranked_stats',
  'ranks',
  'schema_migrations',
  'site_settings',
  'users',
] as const;

/** The API's sequences (bigserial ids): their position is data too. */
export const API_SEQUENCES = ['moderation_signals_id_seq', 'notification_outbox_id_seq'] as const;

/** Per API table, `<row count>:<md5 of every row's text, in order>`; per API sequence, its position. */
export async function apiTableDigests(url: string): Promise<Record<string, string>> {
  const parts = [
    ...API_TABLES.map(
      (table) =>
        `SELECT '${table}' AS name, count(*) || ':' || md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS digest FROM ${table} t`,
    ),
    ...API_SEQUENCES.map(
      (sequence) => `SELECT '${sequence}', last_value || ':' || is_called FROM ${sequence}`,
    ),
  ];
  const found = await queryRows<{ name: string; digest: string }>(url, parts.join(' UNION ALL '));
  return Object.fromEntries(found.map((row) => [row.name, row.digest]));
}

/**
 * The API tables' definitions as sorted text lines: columns (type, nullability, default), indexes,
 * constraints and every trigger (a foreign key onto an API table shows up here as its internal triggers).
 */
export async function apiSchemaShape(url: string): Promise<string[]> {
  const found = await queryRows<{ line: string }>(
    url,
    `SELECT format('column %s.%s %s null=%s default=%s', table_name, column_name, data_type, is_nullable,
                   coalesce(column_default, '-')) AS line
       FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = ANY($1)
     UNION ALL
     SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1)
     UNION ALL
     SELECT format('constraint %s %s %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
       FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
      WHERE r.relnamespace = 'public'::regnamespace AND r.relname = ANY($1)
     UNION ALL
     SELECT format('trigger %s %s', t.tgrelid::regclass, pg_get_triggerdef(t.oid))
       FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
      WHERE r.relnamespace = 'public'::regnamespace AND r.relname = ANY($1)`,
    [[...API_TABLES]],
  );
  return found.map((row) => row.line).sort();
}

/**
 * The names of everything the API owns in `public`: its tables, and their indexes, constraints and
 * sequences (what a statement would name to change them).
 */
export async function apiObjectNames(url: string): Promise<string[]> {
  const found = await queryRows<{ name: string }>(
    url,
    `SELECT r.relname AS name FROM pg_class r
      WHERE r.relnamespace = 'public'::regnamespace AND r.relname = ANY($1)
     UNION SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class r ON r.oid = x.indrelid
      WHERE r.relnamespace = 'public'::regnamespace AND r.relname = ANY($1)
     UNION SELECT c.conname FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
      WHERE r.relnamespace = 'public'::regnamespace AND r.relname = ANY($1)
     UNION SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid
       JOIN pg_class r ON r.oid = d.refobjid
      WHERE s.relkind = 'S' AND r.relnamespace = 'public'::regnamespace AND r.relname = ANY($1)`,
    [[...API_TABLES]],
  );
  return found.map((row) => row.name).sort();
}

/** The tables in `public` that are not the API's (the worker's own, and anything else left behind). */
export async function nonApiTables(url: string): Promise<string[]> {
  const found = await queryRows<{ tablename: string }>(
    url,
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND NOT (tablename = ANY($1)) ORDER BY tablename`,
    [[...API_TABLES]],
  );
  return found.map((row) => row.tablename);
}

/** The rows of the API's golang-migrate table, as `[version, dirty]`. */
export async function apiSchemaVersion(url: string): Promise<Array<[number, boolean]>> {
  const found = await queryRows<{ version: string; dirty: boolean }>(
    url,
    'SELECT version, dirty FROM schema_migrations',
  );
  return found.map((row) => [Number(row.version), row.dirty]);
}
