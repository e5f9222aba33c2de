import { setTimeout as delay } from 'node:timers/promises';

/** How long and how often {@link pollUntil} checks. */
export interface PollOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between checks (default 50 ms). */
  intervalMs?: number;
  /** What is being waited for; it goes into the timeout error. */
  description: string;
}

/** Raised when a condition did not hold before the deadline; carries the last value or error seen. */
export class PollTimeoutError extends Error {
  override readonly name = 'PollTimeoutError';
  constructor(
    readonly description: string,
    readonly timeoutMs: number,
    readonly lastSeen: unknown,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${description}; last seen: ${describe(lastSeen)}`);
  }
}

/**
 * Calls `check` until it returns something other than `undefined`/`false` and resolves with that.
 * Errors thrown by `check` count as "not yet" (a server that is still starting refuses connections).
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: PollOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastSeen: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      lastSeen = value;
    } catch (error) {
      lastSeen = error;
    }
    if (Date.now() >= deadline) throw new PollTimeoutError(options.description, timeoutMs, lastSeen);
    await delay(intervalMs);
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
