// Last line of defence for operator output: whatever a driver or server puts into an error
// message, the configured secrets never reach the terminal (or a CI log that captures it).

import type { RedisNode, RedisTarget } from '../runtime/redis-connection.js';
import { otlpHeaderValues } from '../tracing/tracing-settings.js';

type Env = Record<string, string | undefined>;

const SECRET_VARIABLES = ['RISK_ENGINE_TOKEN', 'MODERATION_WEBHOOK_URL'] as const;
const CONNECTION_VARIABLES = ['POSTGRES_URL', 'REDIS_URL', 'RISK_ENGINE_URL'] as const;

/** The secret strings found in the environment: tokens, webhook URL, passwords inside URLs, OTLP header values. */
export function secretValues(env: Env): string[] {
  const values: string[] = otlpHeaderValues(env);
  for (const name of SECRET_VARIABLES) {
    const value = env[name]?.trim();
    if (value) values.push(value);
  }
  for (const name of CONNECTION_VARIABLES) {
    const value = env[name]?.trim();
    if (value) values.push(...urlSecrets(value, name === 'REDIS_URL'));
  }
  return secretList(values);
}

/** The passwords inside connection strings (a Redis URL's user part too), for {@link redactSecrets}. */
export function connectionSecrets(postgresUrl: string, redisUrl: string): string[] {
  return secretList([...urlSecrets(postgresUrl, false), ...urlSecrets(redisUrl, true)]);
}

function urlSecrets(value: string, redis: boolean): string[] {
  try {
    const { password, username } = new URL(value);
    const found: string[] = [];
    if (password) found.push(password, decodeURIComponent(password));
    // Redis URLs often carry the password alone in the user part (redis://:secret@ or redis://secret@).
    if (username && redis && !password) found.push(username, decodeURIComponent(username));
    return found;
  } catch {
    // Not a URL: the config check reports it; nothing to extract.
    return [];
  }
}

// Longest first so a secret containing another is replaced whole.
function secretList(values: string[]): string[] {
  return [...new Set(values)].filter((v) => v.length >= 3).sort((a, b) => b.length - a.length);
}

/** Replaces every secret value in `text` with `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

/** `host:port` of a URL, without credentials, path or query; safe to print. */
export function describeEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
  } catch {
    return '[unparseable url]';
  }
}

/** What an operator may read about the target: the seed nodes or REDIS_URL's host:port, never a password. */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (nodes: readonly RedisNode[]) =>
    nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',');
  if (target.redisCluster !== null) return `cluster ${list(target.redisCluster.nodes)}`;
  if (target.redisSentinel) {
    return `sentinel master ${target.redisSentinel.masterName} via ${list(target.redisSentinel.nodes)}`;
  }
  return describeEndpoint(target.redisUrl);
}
