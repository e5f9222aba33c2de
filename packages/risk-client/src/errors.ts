// Named error kinds. Callers branch on the class or its `code`, never on message text.
// Engine faults are never thrown: they are `AnalyzeResult` values (see result.ts).

/** What is wrong with a Go duration string. */
export type DurationProblem =
  | 'empty'
  | 'malformed'
  | 'missing_unit'
  | 'unknown_unit'
  | 'zero'
  | 'negative'
  | 'too_large';

/** What is wrong with a configuration variable. */
export type ConfigProblem =
  | DurationProblem
  | 'too_small'
  | 'not_a_url'
  | 'unsupported_scheme'
  | 'credentials_in_url'
  | 'query_or_fragment'
  | 'invalid_characters';

/** A Go duration string could not be used; `problem` says why. */
export class DurationError extends Error {
  override readonly name = 'DurationError';
  readonly code = 'ERR_GEODUELS_DURATION';
  constructor(
    readonly problem: DurationProblem,
    message: string,
  ) {
    super(message);
  }
}

/** An environment variable is malformed; `variable` names it and `problem` says what is wrong. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_GEODUELS_CONFIG';
  constructor(
    readonly variable: string,
    readonly problem: ConfigProblem,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** A call or option was invalid (a programmer error, never an engine fault). */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
  readonly code = 'ERR_GEODUELS_INVALID_ARGUMENT';
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(`${argument}: ${message}`);
  }
}

/** The client was used after `close()`. */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
  readonly code = 'ERR_GEODUELS_CLIENT_CLOSED';
  constructor() {
    super('the risk client is closed');
  }
}
