// The webhook URL carries its token in the path (Discord: /api/webhooks/{id}/{token}); it is a
// secret. These helpers check it wherever it comes from, and are the only way it is shown anywhere.

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

/** Shortest piece of a webhook secret that is redacted wherever it appears on its own. */
export const MIN_SECRET_FRAGMENT_LENGTH = 8;

/**
 * Replaces the webhook URL, its path, and every piece of its secret parts at least
 * {@link MIN_SECRET_FRAGMENT_LENGTH} characters long (a server that echoes half a token, or a body
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
  return redactFragments(clean, secretParts, MIN_SECRET_FRAGMENT_LENGTH);
}

// The parts of the path that carry the secret: after Discord's `/webhooks/` (the id and token), or
// every segment of another shape; short ones (`api`) would only mangle ordinary words.
function secretSegments(pathname: string): string[] {
  const marker = pathname.indexOf('/webhooks/');
  const secretPath = marker >= 0 ? pathname.slice(marker + '/webhooks/'.length) : pathname;
  return secretPath
    .split('/')
    .flatMap((segment) => [segment, safeDecode(segment)])
    .filter((segment) => segment.length >= MIN_SECRET_FRAGMENT_LENGTH);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Replaces each run of `text` made of pieces of a secret of at least `minLength` characters with
 * `****`: every window of `minLength` characters that occurs in a secret marks its characters.
 */
export function redactFragments(text: string, secrets: readonly string[], minLength: number): string {
  const windows = new Set<string>();
  for (const secret of secrets) {
    for (let i = 0; i + minLength <= secret.length; i += 1) windows.add(secret.slice(i, i + minLength));
  }
  if (windows.size === 0 || text.length < minLength) return text;
  const marked = new Uint8Array(text.length);
  for (let i = 0; i + minLength <= text.length; i += 1) {
    if (windows.has(text.slice(i, i + minLength))) marked.fill(1, i, i + minLength);
  }
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    if (marked[i] === 0) out += text[i];
    else if (i === 0 || marked[i - 1] === 0) out += '****';
  }
  return out;
}
