import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config.js';

// Secrets can reach a log line through request headers, config objects or error contexts.
const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'riskEngine.token',
  'config.riskEngine.token',
  'webhookUrl',
  '*.webhookUrl',
  'postgresUrl',
  '*.postgresUrl',
  'redisUrl',
  '*.redisUrl',
];

/**
 * The process logger: JSON lines with secrets redacted, each carrying `pid` and `hostname` (which
 * replica wrote it) and `service`; an `err` field is an Error serialised with its type, message,
 * stack and code. `destination` lets tests capture output.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    // Setting `base` replaces pino's default bindings, so pid and hostname are named again here.
    base: { pid: process.pid, hostname: hostname(), service: 'moderation-worker' },
    serializers: { err: serializeError },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * pino's standard error serialiser (type, message and stack, causes included), plus the error's
 * `code` even where it is not an own enumerable property, so lines can be filtered by code.
 */
export function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  const code = (error as { code?: unknown }).code;
  const fields = serialized as Record<string, unknown>;
  if (fields.code === undefined && (typeof code === 'string' || typeof code === 'number')) {
    fields.code = code;
  }
  return serialized;
}

/** A connection string with its password replaced, safe to log. */
export function redactConnectionString(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
