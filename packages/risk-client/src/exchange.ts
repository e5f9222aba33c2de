import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** Bytes of an unwanted body drained to keep the connection; past this the socket is dropped instead. */
export const DRAIN_LIMIT_BYTES = 64 * 1024;

/** What one exchange with the engine came to, before any meaning is given to it. */
export type HttpOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      readonly body: Buffer | null;
    }
  | { readonly kind: 'too_large'; readonly status: number; readonly headers: IncomingHttpHeaders }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'network'; readonly code: string }
  | { readonly kind: 'aborted'; readonly reason: unknown };

class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}
class BodyTooLarge extends Error {
  override readonly name = 'BodyTooLarge';
}
class CallerAborted extends Error {
  override readonly name = 'CallerAborted';
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * One in-flight exchange, driven by undici's dispatch callbacks. It settles exactly once: on the
 * response end, an error, the deadline, the caller's abort, or a body over its limit. Aborting
 * through undici's controller destroys the socket, so the engine sees the connection close.
 */
export class ExchangeHandler implements Dispatcher.DispatchHandler {
  #settled = false;
  #controller: Dispatcher.DispatchController | null = null;
  #abortWith: Error | null = null;
  #timer: NodeJS.Timeout | undefined;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #limit = 0;
  #size = 0;
  #chunks: Buffer[] = [];
  readonly #resolve: (outcome: HttpOutcome) => void;
  readonly #readLimit: (status: number) => number;
  readonly #signal: AbortSignal | undefined;
  readonly #onCallerAbort: (() => void) | undefined;

  constructor(
    resolve: (outcome: HttpOutcome) => void,
    readLimit: (status: number) => number,
    signal?: AbortSignal,
  ) {
    this.#resolve = resolve;
    this.#readLimit = readLimit;
    this.#signal = signal;
    if (signal !== undefined) {
      this.#onCallerAbort = () => {
        this.#settle({ kind: 'aborted', reason: signal.reason });
        this.#abort(new CallerAborted('the caller aborted the exchange'));
      };
      signal.addEventListener('abort', this.#onCallerAbort, { once: true });
    }
  }

  /**
   * Arms the deadline. A plain timer rather than AbortSignal.timeout: an AbortSignal's EventTarget
   * listeners cost more per call than the rest of the client together (see the package README).
   */
  startDeadline(timeoutMs: number): void {
    this.#timer = setTimeout(() => {
      this.#settle({ kind: 'timeout' });
      this.#abort(new DeadlineExceeded(`no complete answer within ${timeoutMs}ms`));
    }, timeoutMs);
  }

  /** Settles as `timeout` or `network` for an error raised by undici (or by dispatch itself). */
  fail(error: unknown): void {
    const code = errorCode(error);
    this.#settle(TIMEOUT_CODES.has(code) ? { kind: 'timeout' } : { kind: 'network', code });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // The deadline passed while the request waited for a connection: never send it.
    if (this.#abortWith !== null) controller.abort(this.#abortWith);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
  ): void {
    this.#status = status;
    this.#headers = headers;
    this.#limit = this.#readLimit(status);
    const declared = Number(headers['content-length']);
    if (this.#limit > 0 && declared > this.#limit) {
      this.#settle({ kind: 'too_large', status, headers });
      this.#abort(new BodyTooLarge(`declared ${declared} bytes`));
    } else if (this.#limit <= 0 && declared > DRAIN_LIMIT_BYTES) {
      this.#settle({ kind: 'response', status, headers, body: null });
      this.#abort(new BodyTooLarge(`not draining ${declared} bytes`));
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    this.#size += chunk.length;
    if (this.#limit <= 0) {
      if (this.#size > DRAIN_LIMIT_BYTES) {
        this.#settle({ kind: 'response', status: this.#status, headers: this.#headers, body: null });
        this.#abort(new BodyTooLarge('unwanted body too long to drain'));
      }
      return;
    }
    if (this.#size > this.#limit) {
      this.#settle({ kind: 'too_large', status: this.#status, headers: this.#headers });
      this.#abort(new BodyTooLarge(`more than ${this.#limit} bytes`));
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    const chunks = this.#chunks;
    const body =
      this.#limit <= 0 ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size);
    this.#settle({ kind: 'response', status: this.#status, headers: this.#headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  #abort(reason: Error): void {
    this.#abortWith = reason;
    this.#controller?.abort(reason);
  }

  #settle(outcome: HttpOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    if (this.#onCallerAbort !== undefined) this.#signal?.removeEventListener('abort', this.#onCallerAbort);
    this.#chunks = [];
    this.#resolve(outcome);
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}
