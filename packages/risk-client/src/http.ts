import { createRequire } from 'node:module';
import { type Dispatcher, Pool } from 'undici';
import { ExchangeHandler, type HttpOutcome } from './exchange.js';

export type { HttpOutcome } from './exchange.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** `user-agent` sent on every request. */
export const USER_AGENT = `geoduels-risk-client/${version}`;

/** Largest response body read into memory; a longer body aborts the exchange as soon as it shows. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** One request to the engine. */
export interface HttpExchange {
  readonly method: 'GET' | 'POST';
  /** Path under the configured base URL, starting with `/`. */
  readonly path: string;
  readonly requestId: string;
  readonly body?: string;
  /** The caller's cancellation; reported as `aborted`, never as `timeout`. */
  readonly signal?: AbortSignal | undefined;
  /** How many body bytes to keep for a status; 0 drains the body unread. */
  readonly readLimit: (status: number) => number;
}

/** Settings of the HTTP adapter. */
export interface EngineHttpOptions {
  readonly url: string;
  readonly token: string | null;
  readonly timeoutMs: number;
  /** Used instead of an own pool (tests, proxies); never closed by this adapter. */
  readonly dispatcher?: Dispatcher | undefined;
  /** Size of the own connection pool. */
  readonly connections: number;
}

/**
 * The undici exchange: one keep-alive pool, one deadline over connect + headers + body that aborts
 * the request and destroys its socket, bounded body reads, unwanted bodies drained or the socket
 * dropped. Never throws for I/O: every fault is an `HttpOutcome`.
 */
export class EngineHttp {
  readonly #origin: string;
  readonly #basePath: string;
  readonly #timeoutMs: number;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  // Kept in a private field so it cannot be reached by inspect, JSON or enumeration.
  readonly #authorization: string | null;

  constructor(options: EngineHttpOptions) {
    const url = new URL(options.url);
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#authorization = options.token === null ? null : `Bearer ${options.token}`;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Pool(this.#origin, {
        connections: options.connections,
        // Our deadline owns time; undici's own connect timer only stops a dead connect attempt
        // from lingering after the call has already returned `timeout`.
        connectTimeout: Math.max(Math.ceil(options.timeoutMs), 1),
        keepAliveTimeout: 4_000,
      });
  }

  /** Performs one exchange under the deadline; every I/O fault comes back as an outcome. */
  exchange(request: HttpExchange): Promise<HttpOutcome> {
    const { signal } = request;
    if (signal?.aborted) return Promise.resolve({ kind: 'aborted', reason: signal.reason });
    const headers: Record<string, string> = {
      'user-agent': USER_AGENT,
      'x-request-id': request.requestId,
      accept: 'application/json',
    };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (this.#authorization !== null) headers['authorization'] = this.#authorization;
    return new Promise((resolve) => {
      const handler = new ExchangeHandler(resolve, request.readLimit, signal);
      handler.startDeadline(this.#timeoutMs);
      try {
        this.#dispatcher.dispatch(
          {
            origin: this.#origin,
            path: this.#basePath + request.path,
            method: request.method,
            headers,
            body: request.body ?? null,
          },
          handler,
        );
      } catch (error) {
        handler.fail(error);
      }
    });
  }

  /** Closes the own pool (waiting for in-flight requests); an injected dispatcher is left alone. */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }
}
