// A bound on how long the worker waits for a dependency that may be dead: probes and scrape-time
// reads must answer from the process even when Redis or PostgreSQL does not.

/** A wait that ran past its bound. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  readonly code = 'ERR_GEODUELS_DEADLINE';
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/**
 * Resolves as `promise` does, or rejects with a {@link DeadlineError} after `ms`. The promise keeps
 * running (nothing here can cancel it); its late rejection is swallowed.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
