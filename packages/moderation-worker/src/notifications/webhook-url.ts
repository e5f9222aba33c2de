// The webhook URL carries its token in the path (Discord: /api/webhooks/{id}/{token}); it is a
// secret. These helpers check it wherever it comes from, and are the only way it is shown anywhere.

import { fragmentRedactor, MIN_SECRET_FRAGMENT } from '@geoduels/risk-client';

/**
 * Why a webhook URL cannot be used, or null when it can: it must parse and use http or https.
 * The problem never quotes the URL.
 */
export function webhookUrlProblem(value: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `must use http: or https: (got ${parsed.protocol})`;
  }
  return null;
}

/** The URL with everything after the webhook prefix replaced by `****`, safe to log. */
export function redactWebhookUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '****';
  }
  const marker = parsed.pathname.indexOf('/webhooks/');
  const prefix = marker >= 0 ? parsed.pathname.slice(0, marker + '/webhooks'.length) : '';
  return `${parsed.protocol}//${parsed.host}${prefix}/****`;
}

/**
 * Replaces the webhook URL, its path, and every piece of its secret parts at least
 * {@link MIN_SECRET_FRAGMENT} characters long (a server that echoes half a token, or a body
 * cut inside it, leaks as much as the whole) in `text` with `****`. Run it before any cut.
 */
export function scrubWebhookUrl(text: string, url: string): string {
  const whole = new Set<string>([url]);
  const secretParts: string[] = [];
  try {
    const parsed = new URL(url);
    whole.add(parsed.href);
    whole.add(`${parsed.pathname}${parsed.search}`);
    secretParts.push(...secretSegments(parsed.pathname));
    for (const value of parsed.searchParams.values()) secretParts.push(value);
    if (parsed.password) secretParts.push(parsed.password, safeDecode(parsed.password));
  } catch {
    // An unparsable URL is still removed verbatim below.
  }
  let clean = text;
  for (const secret of [...whole].sort((a, b) => b.length - a.length)) {
    if (secret.length > 1) clean = clean.split(secret).join('****');
  }
  return fragmentRedactor(secretParts, '****')(clean);
}

// The parts of the path that carry the secret: after Discord's `/webhooks/` (the id and token), or
// every segment of another shape; short ones (`api`) would only mangle ordinary words.
function secretSegments(pathname: string): string[] {
  const marker = pathname.indexOf('/webhooks/');
  const secretPath = marker >= 0 ? pathname.slice(marker + '/webhooks/'.length) : pathname;
  return secretPath
    .split('/')
    .flatMap((segment) => [segment, safeDecode(segment)])
    .filter((segment) => segment.length >= MIN_SECRET_FRAGMENT);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
