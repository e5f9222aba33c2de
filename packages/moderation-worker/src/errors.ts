// The worker's own named errors. Callers branch on the class or its `code`, never on message text.
// Analysis and delivery outcomes are never thrown: they are values (see analysis/ and notifications/).

/** A bad environment variable; `variable` names it so the operator knows what to fix. */
export class WorkerConfigError extends Error {
  override readonly name = 'WorkerConfigError';
  readonly code = 'ERR_GEODUELS_WORKER_CONFIG';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}

/** Why a migration command refused or failed. */
export type MigrationErrorKind = 'dirty' | 'failed' | 'unknown_version' | 'session_not_kept';

/** A migration command that could not complete; `kind` says why, `version` where. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  readonly code = 'ERR_GEODUELS_MIGRATION';
  constructor(
    readonly kind: MigrationErrorKind,
    readonly version: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
