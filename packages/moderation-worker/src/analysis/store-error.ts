// What a PostgreSQL error from the analysed-match write means for the match: the values were refused
// (retrying cannot help), the transaction lost a lock race (running it again will do), or anything
// else (the database may be down: the queue retries the job). Branches on SQLSTATE, never on text.
import pg from 'pg';

/** The SQLSTATE of a PostgreSQL error, or undefined for any other error. */
export function sqlState(error: unknown): string | undefined {
  return error instanceof pg.DatabaseError && typeof error.code === 'string' ? error.code : undefined;
}

/**
 * A data exception (SQLSTATE class 22: untranslatable character, datetime out of range, bad
 * encoding...): PostgreSQL refused these values, and will refuse them on every retry.
 */
export function isDataError(error: unknown): boolean {
  return sqlState(error)?.startsWith('22') ?? false;
}

/** SQLSTATEs of a transaction that lost a race and may simply run again. */
export const TRANSACTION_CONFLICT_STATES = ['40001', '40P01'] as const;

/** The SQLSTATE when `error` is a serialization failure (40001) or a deadlock (40P01), else undefined. */
export function transactionConflict(
  error: unknown,
): (typeof TRANSACTION_CONFLICT_STATES)[number] | undefined {
  const state = sqlState(error);
  return TRANSACTION_CONFLICT_STATES.find((s) => s === state);
}

/** The refusal as the run row keeps it: `<SQLSTATE>: <message>` (PostgreSQL's message, not the values). */
export function describeDataError(error: unknown): { sqlstate: string; detail: string } {
  const sqlstate = sqlState(error) ?? '22000';
  const message = error instanceof Error ? error.message : String(error);
  return { sqlstate, detail: `${sqlstate}: ${message}` };
}
