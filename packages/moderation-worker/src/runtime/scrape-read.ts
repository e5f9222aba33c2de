import { withDeadline } from '../lib/deadline.js';

/** Options of {@link scrapeRead}. */
export interface ScrapeReadOptions {
  /** Longest a scrape waits for the read (default 1000 ms, far below Prometheus's scrape timeout). */
  timeoutMs?: number;
  /** Told every failed or timed-out read (to count it). */
  onFailure?: (error: unknown) => void;
}

/**
 * A read made at scrape time and shared by every gauge that asks while it runs (prom-client collects
 * the metrics of one scrape together), bounded so that a dead dependency delays a scrape by the bound
 * at most and never fails it. Resolves null when the read failed or timed out.
 */
export function scrapeRead<T>(
  read: () => Promise<T>,
  options: ScrapeReadOptions = {},
): () => Promise<T | null> {
  const timeoutMs = options.timeoutMs ?? 1_000;
  let inFlight: Promise<T | null> | null = null;
  return () => {
    inFlight ??= withDeadline(Promise.resolve().then(read), timeoutMs)
      .catch((error: unknown) => {
        options.onFailure?.(error);
        return null;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
}
