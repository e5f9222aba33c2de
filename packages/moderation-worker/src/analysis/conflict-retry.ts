// The analysed-match write run again, inside the job, when it lost a lock race.
import { transactionConflict } from './store-error.js';

/** Attempts of one analysed-match write (the first included) before a lock race fails the job. */
export const DEFAULT_CONFLICT_ATTEMPTS = 4;

/** How {@link retryConflicts} retries. */
export interface ConflictRetry {
  /** Attempts at most, the first included (default DEFAULT_CONFLICT_ATTEMPTS). */
  attempts?: number;
  /** Told before each retry (for a debug line and a counter): the SQLSTATE and the attempt that lost. */
  onRetry?: (sqlstate: string, attempt: number) => void;
}

/**
 * Runs `write`, again at once when it fails with a deadlock (40P01) or serialization failure
 * (40001): PostgreSQL rolled it back whole and let the other transaction through, so the next
 * attempt normally wins. Bounded; any other error, or the last conflict, is thrown as it came.
 */
export async function retryConflicts<T>(write: () => Promise<T>, retry: ConflictRetry = {}): Promise<T> {
  const attempts = retry.attempts ?? DEFAULT_CONFLICT_ATTEMPTS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      const state = transactionConflict(error);
      if (state === undefined || attempt >= attempts) throw error;
      retry.onRetry?.(state, attempt);
    }
  }
}
