// BullMQ prints some of its warnings with console.warn / console.error (e.g. "IMPORTANT! Eviction
// policy is allkeys-lru. It should be "noeviction"", once per connection it opens) and offers no
// option to hand them to a logger. A raw line on stderr breaks a JSON log stream, so while a route
// is open those calls, and only those made by BullMQ's own code, go to the route instead.
import { format } from 'node:util';
import type { Logger } from 'pino';

/** One console call made by BullMQ. */
export interface BullmqConsoleMessage {
  level: 'warn' | 'error';
  /** The call's arguments formatted as console would print them. */
  message: string;
  /** The Error BullMQ passed, if it passed one (console.error(err)). */
  error: Error | null;
}

/** Where BullMQ's console output goes while a route is open. */
export type BullmqConsoleRoute = (message: BullmqConsoleMessage) => void;

type ConsoleMethod = (...args: unknown[]) => void;

// A frame of BullMQ's own code, installed (node_modules/bullmq/dist/...) or linked.
const BULLMQ_FRAME = /[\\/]bullmq[\\/]dist[\\/]/;

const routes = new Set<BullmqConsoleRoute>();
let originals: { warn: ConsoleMethod; error: ConsoleMethod } | null = null;

/**
 * Sends BullMQ's console.warn / console.error calls to `route` until the returned function is
 * called; every other console call is printed as before. With several routes open, each receives
 * the call; the console is restored once the last one closes.
 */
export function routeBullmqConsole(route: BullmqConsoleRoute): () => void {
  routes.add(route);
  if (originals === null) {
    originals = { warn: console.warn, error: console.error };
    console.warn = intercept('warn', originals.warn);
    console.error = intercept('error', originals.error);
  }
  return () => {
    routes.delete(route);
    if (routes.size === 0 && originals !== null) {
      console.warn = originals.warn;
      console.error = originals.error;
      originals = null;
    }
  };
}

/**
 * A route into the process logger: `source: "bullmq"`, warnings at warn level (each distinct text
 * once, since BullMQ repeats it for every connection), errors at error level with `err`.
 */
export function bullmqLogRoute(logger: Logger): BullmqConsoleRoute {
  const warned = new Set<string>();
  return ({ level, message, error }) => {
    if (level === 'error') {
      logger.error({ source: 'bullmq', ...(error !== null && { err: error }) }, message);
      return;
    }
    if (warned.has(message)) return;
    warned.add(message);
    logger.warn({ source: 'bullmq' }, message);
  };
}

function intercept(level: 'warn' | 'error', original: ConsoleMethod): ConsoleMethod {
  const replacement: ConsoleMethod = (...args) => {
    if (routes.size === 0 || !calledByBullmq(replacement)) {
      original.apply(console, args);
      return;
    }
    const error = args.find((arg): arg is Error => arg instanceof Error) ?? null;
    const message = error !== null && args.length === 1 ? error.message : format(...args);
    for (const route of routes) route({ level, message: message.replace(/\s+/g, ' ').trim(), error });
  };
  return replacement;
}

/** Whether the frame that called `replacement` is BullMQ's code (not ours, even inside a BullMQ callback). */
function calledByBullmq(replacement: ConsoleMethod): boolean {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  try {
    Error.captureStackTrace(holder, replacement);
  } finally {
    Error.stackTraceLimit = limit;
  }
  const caller = holder.stack?.split('\n')[1] ?? '';
  return BULLMQ_FRAME.test(caller);
}
