import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import type { Dispatcher } from 'undici';
import {
  type BreakerEvent,
  type BreakerOptions,
  type BreakerState,
  type BreakerTransition,
  EngineBreaker,
  resolveBreakerOptions,
  type Verdict,
} from './breaker.js';
import type { RiskEngineConfig } from './config.js';
import { ClientClosedError, InvalidArgumentError } from './errors.js';
import { EngineHttp, MAX_BODY_BYTES } from './http.js';
import { analyzeReadLimit, interpretAnalyze } from './interpret.js';
import { type AnalyzeResult, type UnavailableReason, unavailable } from './result.js';
import type { AnalyzeRequest } from './schema.js';
import { MIN_SECRET_FRAGMENT, type Redact, secretRedactor } from './secret-redactor.js';

/** Default size of the client's own connection pool. */
export const DEFAULT_CONNECTIONS = 32;

/** Optional collaborators and tuning for `createRiskClient`. */
export interface RiskClientOptions {
  /** Dispatcher to use instead of the client's own pool (tests, proxies). Not closed by `close()`. */
  readonly dispatcher?: Dispatcher;
  /** Breaker tuning; see `DEFAULT_BREAKER_OPTIONS`. */
  readonly breaker?: Partial<BreakerOptions>;
  /** Clock in epoch milliseconds (latency, Retry-After dates, breaker retry hints). Default `Date.now`. */
  readonly now?: () => number;
  /** Connections in the client's own keep-alive pool. Default 32. */
  readonly connections?: number;
}

/** Per-call options of `analyze`. */
export interface AnalyzeOptions {
  /** Cancels the call; `analyze` then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Sent as `x-request-id` (and as `requestId` when the body has none). Default: a random UUID. */
  readonly requestId?: string;
}

/** Outcome of `health()`: `status` when the engine answered, `reason` when it did not or is disabled. */
export interface HealthResult {
  readonly ok: boolean;
  readonly status?: number;
  readonly reason?: UnavailableReason | 'disabled';
}

/** `disabled` when no engine is configured, otherwise the breaker's state. */
export type ClientState = 'disabled' | BreakerState;

/** Passed to state-change listeners; `lastFailure` says what opened the breaker. */
export type StateChange = BreakerTransition<UnavailableReason>;

/** The risk-engine client. */
export interface RiskClient {
  /** Sends match facts for analysis. Never throws for an engine fault; see `AnalyzeResult`. */
  analyze(request: AnalyzeRequest, options?: AnalyzeOptions): Promise<AnalyzeResult>;
  /** `GET /health/ready` under the same deadline, outside the breaker. */
  health(): Promise<HealthResult>;
  /** Current state, for readiness reports and metrics. */
  readonly state: ClientState;
  /** Subscribes to breaker state changes (`open`, `halfOpen`, `close`). */
  on(event: BreakerEvent, listener: (change: StateChange) => void): this;
  /** Removes a listener added with `on`. */
  off(event: BreakerEvent, listener: (change: StateChange) => void): this;
  /** Shuts the breaker down and closes the own pool; later calls throw `ClientClosedError`. */
  close(): Promise<void>;
}

const DISABLED = Object.freeze({ status: 'disabled' } as const);
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

interface Engine {
  readonly http: EngineHttp;
  readonly breaker: EngineBreaker<AnalyzeResult, UnavailableReason>;
  readonly timeoutMs: number;
  readonly url: string;
  readonly redactDetail: Redact | null;
  readonly redactAnswer: Redact | null;
}

class EngineRiskClient implements RiskClient {
  readonly #engine: Engine | null;
  readonly #now: () => number;
  #closed = false;

  constructor(engine: Engine | null, now: () => number) {
    this.#engine = engine;
    this.#now = now;
  }

  get state(): ClientState {
    return this.#engine === null ? 'disabled' : this.#engine.breaker.state;
  }

  async analyze(request: AnalyzeRequest, options: AnalyzeOptions = {}): Promise<AnalyzeResult> {
    if (this.#closed) throw new ClientClosedError();
    const engine = this.#engine;
    if (engine === null) return DISABLED;
    const requestId = options.requestId ?? request.requestId ?? randomUUID();
    if (!REQUEST_ID.test(requestId)) {
      throw new InvalidArgumentError('requestId', 'must be 1-200 visible ASCII characters');
    }
    const guarded = await engine.breaker.run(() =>
      this.#exchange(engine, request, requestId, options.signal),
    );
    if (guarded.admitted) return guarded.value;
    // Refused: either open (wait for the probe window) or half-open with the probe in flight
    // (its outcome is known within one deadline).
    const retryAfterMs = engine.breaker.state === 'open' ? engine.breaker.retryAfterMs() : engine.timeoutMs;
    return unavailable('breaker_open', retryAfterMs);
  }

  async #exchange(
    engine: Engine,
    request: AnalyzeRequest,
    requestId: string,
    signal: AbortSignal | undefined,
  ): Promise<Verdict<AnalyzeResult>> {
    const started = this.#now();
    const outcome = await engine.http.exchange({
      method: 'POST',
      path: '/v1/analyze',
      requestId,
      body: JSON.stringify(request.requestId === undefined ? { ...request, requestId } : request),
      signal,
      readLimit: (status) => analyzeReadLimit(status, MAX_BODY_BYTES),
    });
    if (outcome.kind === 'aborted') throw outcome.reason;
    const nowMs = this.#now();
    const { result, countsAsFailure } = interpretAnalyze(outcome, {
      playerIds: new Set(request.players.map((player) => player.userId)),
      nowMs,
      latencyMs: nowMs - started,
      redactDetail: engine.redactDetail,
      redactAnswer: engine.redactAnswer,
    });
    return { value: result, failure: countsAsFailure };
  }

  async health(): Promise<HealthResult> {
    if (this.#closed) throw new ClientClosedError();
    if (this.#engine === null) return { ok: false, reason: 'disabled' };
    const outcome = await this.#engine.http.exchange({
      method: 'GET',
      path: '/health/ready',
      requestId: randomUUID(),
      readLimit: () => 0,
    });
    switch (outcome.kind) {
      case 'response':
      case 'too_large':
        return { ok: outcome.status >= 200 && outcome.status < 300, status: outcome.status };
      case 'timeout':
        return { ok: false, reason: 'timeout' };
      default:
        return { ok: false, reason: 'network' };
    }
  }

  on(event: BreakerEvent, listener: (change: StateChange) => void): this {
    this.#engine?.breaker.on(event, listener);
    return this;
  }

  off(event: BreakerEvent, listener: (change: StateChange) => void): this {
    this.#engine?.breaker.off(event, listener);
    return this;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#engine?.breaker.shutdown();
    await this.#engine?.http.close();
  }

  toJSON(): object {
    return { state: this.state, url: this.#engine?.url ?? null, timeoutMs: this.#engine?.timeoutMs ?? null };
  }

  [inspect.custom](_depth: number, options: object): string {
    return `RiskClient ${inspect(this.toJSON(), options)}`;
  }
}

/**
 * Creates a client for the configured engine, with one keep-alive pool and one breaker. A disabled
 * config gives a client that answers `disabled` and does no I/O.
 */
export function createRiskClient(config: RiskEngineConfig, options: RiskClientOptions = {}): RiskClient {
  const now = options.now ?? Date.now;
  const breakerOptions = resolveBreakerOptions(options.breaker);
  if (!config.enabled || config.url === null) return new EngineRiskClient(null, now);
  const connections = options.connections ?? DEFAULT_CONNECTIONS;
  if (!Number.isInteger(connections) || connections < 1) {
    throw new InvalidArgumentError('connections', `must be a positive integer, got ${String(connections)}`);
  }
  if (!(config.timeoutMs > 0)) {
    throw new InvalidArgumentError('config.timeoutMs', `must be positive, got ${String(config.timeoutMs)}`);
  }
  const url = parseEngineUrl(config.url);
  const { token } = config;
  const redact = token === null ? null : secretRedactor(token);
  const engine: Engine = {
    http: new EngineHttp({
      url,
      token,
      timeoutMs: config.timeoutMs,
      dispatcher: options.dispatcher,
      connections,
    }),
    breaker: new EngineBreaker(breakerOptions, now, failureReason),
    timeoutMs: config.timeoutMs,
    url,
    redactDetail: redact,
    // A token shorter than a fragment cannot be told apart from data: searching answers for it
    // would corrupt them (a token "a" would rewrite every "a"), so answers are scrubbed only of
    // tokens of at least MIN_SECRET_FRAGMENT characters.
    redactAnswer: token !== null && token.length >= MIN_SECRET_FRAGMENT ? redact : null,
  };
  return new EngineRiskClient(engine, now);
}

function failureReason(result: AnalyzeResult): UnavailableReason {
  return result.status === 'unavailable' ? result.reason : 'invalid_response';
}

function parseEngineUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError('config.url', 'is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('config.url', 'must be http or https');
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidArgumentError('config.url', 'must not contain credentials; use the token');
  }
  return url.href.replace(/\/+$/, '');
}
