// One warn line when a dependency (PostgreSQL, Redis) stops answering and one info line when it
// answers again: per transition, never per probe or per connection, and with the error redacted.
import type { Logger } from 'pino';
import { redactSecrets } from '../commands/secret-redaction.js';
import { serializeError } from './logger.js';

/** The dependencies whose outages are logged. */
export type Dependency = 'postgres' | 'redis';

/** Options of {@link createDependencyLog}. */
export interface DependencyLogOptions {
  logger: Logger;
  /** Strings never to print (passwords of the connection strings); see connectionSecrets. */
  secrets?: readonly string[];
  /** `host:port` per dependency, safe to print. */
  endpoints?: Partial<Record<Dependency, string>>;
  /**
   * Failed probes in a row before an outage is logged (default 2): one probe that missed its 1 s
   * bound on a loaded machine is not an outage worth a warning; readiness reflects it either way.
   */
  failuresBeforeWarning?: number;
}

/** Tracks each dependency's last known state and logs its transitions. */
export interface DependencyLog {
  /** The dependency answered; logs `<dependency> reachable again` after an outage. */
  up(dependency: Dependency): void;
  /** The dependency failed; logs `<dependency> unreachable: <error>` once it has failed enough probes in a row. */
  down(dependency: Dependency, error: unknown): void;
}

/** Creates the transition log; the first state seen logs only when it is an outage. */
export function createDependencyLog(options: DependencyLogOptions): DependencyLog {
  // 'down' once the outage was logged; failures counts the failed probes in a row before that.
  const state = new Map<Dependency, 'up' | 'down'>();
  const failures = new Map<Dependency, number>();
  const threshold = options.failuresBeforeWarning ?? 2;
  const secrets = options.secrets ?? [];
  const redact = (text: string) => redactSecrets(text, secrets);
  return {
    up(dependency) {
      const was = state.get(dependency);
      state.set(dependency, 'up');
      failures.set(dependency, 0);
      if (was !== 'down') return;
      options.logger.info(
        { dependency, endpoint: options.endpoints?.[dependency] },
        `${dependency} reachable again`,
      );
    },
    down(dependency, error) {
      if (state.get(dependency) === 'down') return;
      const failed = (failures.get(dependency) ?? 0) + 1;
      failures.set(dependency, failed);
      if (failed < threshold) return;
      state.set(dependency, 'down');
      const err = redactedError(error, redact);
      const code =
        typeof err.code === 'string' && !String(err.message).includes(err.code) ? ` (${err.code})` : '';
      options.logger.warn(
        { dependency, endpoint: options.endpoints?.[dependency], err },
        `${dependency} unreachable: ${err.message}${code}`,
      );
    },
  };
}

/** The error as the logger serialises it, with every secret removed from its text. */
function redactedError(error: unknown, redact: (text: string) => string): Record<string, unknown> {
  // An AggregateError (a refused dual-stack connect) says why in its parts.
  const parts = (error as { errors?: unknown }).errors;
  const cause = Array.isArray(parts) && parts.length > 0 && !(error as Error).message ? parts[0] : error;
  const serialized = serializeError(cause);
  const fields: Record<string, unknown> =
    typeof serialized === 'object' && serialized !== null
      ? { ...(serialized as Record<string, unknown>) }
      : { message: String(serialized) };
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (typeof value === 'string') fields[key] = redact(value);
  }
  if (typeof fields.message !== 'string' || fields.message === '') fields.message = 'unknown error';
  return fields;
}
