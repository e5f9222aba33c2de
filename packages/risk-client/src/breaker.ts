import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import { InvalidArgumentError } from './errors.js';

/** Circuit breaker tuning. Every field is optional when passed to `createRiskClient`. */
export interface BreakerOptions {
  /** Length of the rolling window in which calls and failures are counted, in ms. Default 10 000. */
  readonly rollingWindowMs: number;
  /** Buckets the window is split into (it slides one bucket at a time). Default 10. */
  readonly rollingBuckets: number;
  /** Calls needed in the window before the breaker may open at all. Default 5. */
  readonly volumeThreshold: number;
  /** Failure percentage in the window above which the breaker opens. Default 50. */
  readonly errorThresholdPercentage: number;
  /** Time the breaker stays open before it lets a single half-open probe through, in ms. Default 10 000. */
  readonly resetTimeoutMs: number;
}

/** Defaults for `BreakerOptions`. */
export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = Object.freeze({
  rollingWindowMs: 10_000,
  rollingBuckets: 10,
  volumeThreshold: 5,
  errorThresholdPercentage: 50,
  resetTimeoutMs: 10_000,
});

/**
 * Breaker states.
 * - `closed`: calls go through; failures are counted.
 * - `open`: calls fail fast without touching a socket until `resetTimeoutMs` has passed.
 * - `half_open`: one probe call goes through; success closes the breaker, failure opens it again.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Breaker state-change events, named as opossum names them. */
export type BreakerEvent = 'open' | 'halfOpen' | 'close';

/** Passed to state-change listeners. */
export interface BreakerTransition<F> {
  readonly state: BreakerState;
  /** The failure that tipped the breaker (on `open`). */
  readonly lastFailure?: F;
}

/** What a guarded task came to: its value, and whether that value is an engine failure. */
export interface Verdict<T> {
  readonly value: T;
  readonly failure: boolean;
}

/** `admitted: false` means the breaker refused the call without running it. */
export type Guarded<T> = { readonly admitted: true; readonly value: T } | { readonly admitted: false };

// Carries a failing verdict through opossum, which only counts rejections.
class CountedFailure<T> {
  constructor(readonly value: T) {}
}

/** Validates and completes breaker options. Throws `InvalidArgumentError` naming the bad option. */
export function resolveBreakerOptions(partial: Partial<BreakerOptions> = {}): BreakerOptions {
  const options = { ...DEFAULT_BREAKER_OPTIONS, ...partial };
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isFinite(value) || value < 0 || (name !== 'volumeThreshold' && value === 0)) {
      throw new InvalidArgumentError(`breaker.${name}`, `must be a positive number, got ${String(value)}`);
    }
  }
  if (options.errorThresholdPercentage > 100) {
    throw new InvalidArgumentError('breaker.errorThresholdPercentage', 'must be at most 100');
  }
  if (!Number.isInteger(options.rollingBuckets) || options.rollingWindowMs % options.rollingBuckets !== 0) {
    throw new InvalidArgumentError(
      'breaker.rollingBuckets',
      'must be a whole number that divides rollingWindowMs',
    );
  }
  return options;
}

/**
 * The opossum breaker, created once per client. Time limits belong to the HTTP deadline, so
 * opossum's own timeout is off; the task classifies its outcome instead of throwing.
 */
export class EngineBreaker<T, F = T> {
  readonly options: BreakerOptions;
  readonly #breaker: CircuitBreaker<[() => Promise<Verdict<T>>], T>;
  readonly #events = new EventEmitter();
  readonly #now: () => number;
  #openedAt = 0;
  readonly #label: (failure: T) => F;
  #lastFailure: F | undefined;

  /** `label` turns a failing value into what `open` listeners see as `lastFailure`. */
  constructor(options: BreakerOptions, now: () => number, label: (failure: T) => F) {
    this.options = options;
    this.#now = now;
    this.#label = label;
    this.#breaker = new CircuitBreaker(
      async (task: () => Promise<Verdict<T>>) => {
        const verdict = await task();
        if (verdict.failure) throw new CountedFailure(verdict.value);
        return verdict.value;
      },
      {
        timeout: false,
        resetTimeout: options.resetTimeoutMs,
        rollingCountTimeout: options.rollingWindowMs,
        rollingCountBuckets: options.rollingBuckets,
        volumeThreshold: options.volumeThreshold,
        errorThresholdPercentage: options.errorThresholdPercentage,
        rollingPercentilesEnabled: false,
        enableSnapshots: false,
        // A task that threw (caller abort, bug) says nothing about the engine, except that a
        // half-open probe must end somehow: then it counts, so the breaker re-opens and re-probes.
        errorFilter: (error: unknown) => !(error instanceof CountedFailure) && !this.#breaker.halfOpen,
      },
    );
    this.#breaker.on('failure', (error: unknown) => {
      if (error instanceof CountedFailure) this.#lastFailure = this.#label(error.value as T);
    });
    this.#breaker.on('open', () => {
      this.#openedAt = this.#now();
      this.#emit('open', {
        state: 'open',
        ...(this.#lastFailure === undefined ? {} : { lastFailure: this.#lastFailure }),
      });
    });
    this.#breaker.on('halfOpen', () => this.#emit('halfOpen', { state: 'half_open' }));
    this.#breaker.on('close', () => this.#emit('close', { state: 'closed' }));
  }

  /** Current state. */
  get state(): BreakerState {
    if (this.#breaker.opened) return 'open';
    return this.#breaker.halfOpen ? 'half_open' : 'closed';
  }

  /** Milliseconds until an open breaker allows its probe (0 when not open). */
  retryAfterMs(): number {
    if (!this.#breaker.opened) return 0;
    return Math.max(0, this.#openedAt + this.options.resetTimeoutMs - this.#now());
  }

  /**
   * Runs the task unless the breaker refuses it. A failing verdict is counted and its value
   * returned; anything the task throws is rethrown unchanged.
   */
  async run(task: () => Promise<Verdict<T>>): Promise<Guarded<T>> {
    // Checked here first so failing fast costs no opossum bookkeeping and no Error allocation.
    if (this.#breaker.opened) return { admitted: false };
    try {
      return { admitted: true, value: await this.#breaker.fire(task) };
    } catch (error) {
      if (error instanceof CountedFailure) return { admitted: true, value: error.value as T };
      if (CircuitBreaker.isOurError(error as Error)) return { admitted: false };
      throw error;
    }
  }

  /** Subscribes to state changes. */
  on(event: BreakerEvent, listener: (transition: BreakerTransition<F>) => void): void {
    this.#events.on(event, listener);
  }

  /** Unsubscribes a listener. */
  off(event: BreakerEvent, listener: (transition: BreakerTransition<F>) => void): void {
    this.#events.off(event, listener);
  }

  /** Stops opossum's timers; the breaker refuses every call afterwards. */
  shutdown(): void {
    this.#breaker.shutdown();
    this.#events.removeAllListeners();
  }

  #emit(event: BreakerEvent, transition: BreakerTransition<F>): void {
    this.#events.emit(event, transition);
  }
}
