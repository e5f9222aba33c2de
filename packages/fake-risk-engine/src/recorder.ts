import type { IncomingHttpHeaders } from 'node:http';

/** One request as the engine received it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Headers as received, except `authorization`, whose credentials are masked. */
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; `undefined` when there was none or it was not JSON. */
  body: unknown;
  receivedAt: Date;
}

/** Default number of requests kept (the oldest are forgotten first). */
export const DEFAULT_RECORD_LIMIT = 10_000;

/** Masks the credentials of an authorization header, keeping its scheme. */
export function maskAuthorization(value: string): string {
  const space = value.indexOf(' ');
  return space > 0 ? `${value.slice(0, space)} ***` : '***';
}

/** A bounded log of received requests; the count covers every request, recorded or not. */
export class RequestRecorder {
  #entries: RecordedRequest[] = [];
  #count = 0;

  /** `limit` 0 keeps nothing but the count. */
  constructor(private readonly limit: number) {}

  /** Counts a request and, unless disabled, keeps it with its credentials masked. */
  add(method: string, path: string, headers: IncomingHttpHeaders, body: unknown, receivedAt: Date): void {
    this.#count++;
    if (this.limit <= 0) return;
    const copy = { ...headers };
    if (copy.authorization !== undefined) copy.authorization = maskAuthorization(copy.authorization);
    this.#entries.push({ method, path, headers: copy, body, receivedAt });
    // Trim in batches so recording stays O(1) amortised under load.
    if (this.#entries.length > this.limit + Math.max(1, this.limit >> 3)) {
      this.#entries = this.#entries.slice(-this.limit);
    }
  }

  /** The kept requests, oldest first (at most `limit`). */
  list(): RecordedRequest[] {
    return this.#entries.slice(-this.limit);
  }

  /** How many requests arrived since the start or the last `clear()`. */
  get count(): number {
    return this.#count;
  }

  /** Forgets every request and resets the count. */
  clear(): void {
    this.#entries = [];
    this.#count = 0;
  }
}
