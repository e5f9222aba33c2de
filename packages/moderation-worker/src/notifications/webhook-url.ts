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

/** Replaces any occurrence of the webhook URL, its path or its path segments in `text`. */
export function scrubWebhookUrl(text: string, url: string): string {
  const secrets = new Set<string>([url]);
  try {
    const parsed = new URL(url);
    secrets.add(parsed.href);
    secrets.add(`${parsed.pathname}${parsed.search}`);
    for (const segment of parsed.pathname.split('/')) {
      // Short segments (`api`, `webhooks`) are not secret and would mangle ordinary words.
      if (segment.length >= 8) secrets.add(segment);
    }
    if (parsed.password) secrets.add(parsed.password);
  } catch {
    // An unparsable URL is still removed verbatim above.
  }
  let clean = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length > 1) clean = clean.split(secret).join('****');
  }
  return clean;
}
