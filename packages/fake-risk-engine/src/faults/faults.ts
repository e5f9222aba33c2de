/** Shapes of the hostile-but-parseable bodies (for the client's and worker's defences). */
export const HOSTILE_VARIANTS = ['deep_nesting', 'huge_strings', 'wrong_types', 'proto_keys'] as const;
export type HostileVariant = (typeof HOSTILE_VARIANTS)[number];

/**
 * Schema-valid answers PostgreSQL cannot store as sent (the review of issue 13): the client must
 * repair or drop what they carry, so the match is still settled with one engine call.
 */
export const POISON_VARIANTS = [
  /** A signal `occurredAt` of `0000-01-01T00:00:00Z` (year 0: JavaScript reads it, PostgreSQL does not). */
  'zero_year_time',
  /** A signal `occurredAt` that its offset pushes past year 9999 (`9999-12-31T23:30:00-01:00`). */
  'past_year_9999_time',
  /** A lone surrogate (`"\ud800"`) in the signal's `reasonCode`. */
  'lone_surrogate_reason',
  /** A lone surrogate in the signal's `signalType`. */
  'lone_surrogate_type',
  /** A lone surrogate in a string of the signal's payload. */
  'lone_surrogate_payload',
  /** A NUL (`"\u0000"`) in the answer's top-level `detectorVersion`. */
  'nul_detector_version',
  /** A NUL in a key of the signal's payload. */
  'nul_payload_key',
] as const;
export type PoisonVariant = (typeof POISON_VARIANTS)[number];

/** Which routes a fault applies to: `/v1/analyze` only (default) or the health routes too. */
export type FaultScope = 'analyze' | 'all';

/** What a fault does to a request it is applied to. */
export type FaultBehaviour =
  /** Waits `ms`, then answers normally (or with the next fault's behaviour; latency does not consume others). */
  | { kind: 'latency'; ms: number }
  /** Never answers; the socket stays open until the client gives up or the engine stops. */
  | { kind: 'hang' }
  /** Answers `code` (400-599) with a JSON error body. */
  | { kind: 'status'; code: number }
  /** Answers 429; `retryAfter` seconds, an HTTP date (Date), or a verbatim header value (string). */
  | { kind: 'rate_limit'; retryAfter?: number | Date | string }
  /** Answers 401 as if the token were wrong. */
  | { kind: 'unauthorized' }
  /** Answers 200 with truncated JSON. */
  | { kind: 'malformed_json' }
  /** Answers 200 with valid JSON that breaks contract v1 (wrong types). */
  | { kind: 'schema_invalid' }
  /** Answers 200 with a schema-valid body over 1 MiB, announced by content-length (default) or chunked. */
  | { kind: 'oversized'; contentLength?: boolean }
  /**
   * Answers 200 with the largest body the contract allows: exactly 1 MiB, 1,000 distinct low-severity
   * signals for a player of the request, each padded in its payload (for memory budgets).
   */
  | { kind: 'max_body' }
  /** Sends the headers and half the body, then resets the TCP connection. */
  | { kind: 'reset' }
  /** Closes the listener and every open socket; back up after `forMs` when given (else call `up()`). */
  | { kind: 'down'; forMs?: number }
  /** Answers 200 with a parseable but hostile body. */
  | { kind: 'hostile'; variant: HostileVariant }
  /** Answers 200 with a schema-valid body PostgreSQL cannot store as sent (one poisoned signal). */
  | { kind: 'poison'; variant: PoisonVariant };

/** A fault to switch on: applies to the next `times` requests of its scope, or until cleared. */
export type FaultSpec = FaultBehaviour & { times?: number; scope?: FaultScope };

/** An active fault with its remaining count (`null` = until cleared). */
export interface ActiveFault {
  readonly spec: FaultSpec;
  remaining: number | null;
}

/** The run-time fault queue: each request takes the first matching fault, consuming one of its uses. */
export class FaultQueue {
  #faults: ActiveFault[] = [];

  /** Appends a fault; it acts once the faults before it are used up or cleared. */
  add(spec: FaultSpec): void {
    this.#faults.push({ spec, remaining: spec.times ?? null });
  }

  /** Removes every fault. */
  clear(): void {
    this.#faults = [];
  }

  /** A snapshot of the active faults, first to act first. */
  list(): FaultSpec[] {
    return this.#faults.map((f) => ({ ...f.spec, ...(f.remaining === null ? {} : { times: f.remaining }) }));
  }

  /** Takes the behaviours for one request: leading latency faults, then at most one terminal fault. */
  take(route: 'analyze' | 'health'): FaultBehaviour[] {
    if (this.#faults.length === 0) return [];
    const taken: FaultBehaviour[] = [];
    for (const fault of [...this.#faults]) {
      if (route === 'health' && fault.spec.scope !== 'all') continue;
      taken.push(fault.spec);
      if (fault.remaining !== null && --fault.remaining <= 0) {
        this.#faults.splice(this.#faults.indexOf(fault), 1);
      }
      if (fault.spec.kind !== 'latency') break;
    }
    return taken;
  }
}
