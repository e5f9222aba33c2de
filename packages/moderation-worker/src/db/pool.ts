import pg from 'pg';

/** A pool plus whether named prepared statements are allowed on it (not behind PgBouncer). */
export interface Database {
  pool: pg.Pool;
  /** False behind transaction pooling, where a named statement could land on another server session. */
  namedStatements: boolean;
}

/** Options for {@link createDatabase}. */
export interface DatabaseOptions {
  url: string;
  /** Pool size bound (POSTGRES_MAX_CONNS). */
  maxConns: number;
  /** POSTGRES_PGBOUNCER: disables named prepared statements. */
  pgbouncer: boolean;
  /** Called when an idle pooled connection dies (e.g. PostgreSQL restarts); the pool replaces it. */
  onIdleError?: (error: Error) => void;
}

/** Creates the process's PostgreSQL pool; it reconnects by itself after a server restart. */
export function createDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConns,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'moderation-worker',
    // Named statements only pay off when PostgreSQL keeps their plan: left to choose, it re-plans the
    // facts read for every call (its uuid[] parameter keeps custom plans looking cheaper), and the
    // planning costs about as much as running the read (docs/performance.md, "Generic plans").
    // Every statement here is a key lookup, for which the generic plan is the plan.
    ...(!options.pgbouncer && { options: '-c plan_cache_mode=force_generic_plan' }),
  });
  // Without a listener an idle client's error (server restart) would crash the process.
  pool.on('error', (error) => options.onIdleError?.(error));
  return { pool, namedStatements: !options.pgbouncer };
}

/** A query config that is a named prepared statement only where the database allows it. */
export function statement(db: Database, name: string, text: string, values: unknown[]): pg.QueryConfig {
  return db.namedStatements ? { name, text, values } : { text, values };
}
