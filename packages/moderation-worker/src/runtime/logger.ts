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

/** The process logger: JSON lines with secrets redacted. `destination` lets tests capture output. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'moderation-worker' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
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
