/** What a scrubbed secret, or a fragment of it, is replaced by. */
export const REDACTED = '[redacted]';

/**
 * Shortest run of a secret's characters that counts as a fragment of it. Eight characters of a
 * token are scrubbed wherever they show (an engine that echoes a cut or quoted token leaks them
 * too); shorter runs occur in ordinary text too often to tell them from data.
 */
export const MIN_SECRET_FRAGMENT = 8;

/** Replaces a secret in a text; returns the same string when there is nothing to scrub. */
export type Redact = (text: string) => string;

/**
 * Scrubs `secret` from texts: every run of at least `MIN_SECRET_FRAGMENT` characters that is a
 * piece of the secret (raw or as escaped inside a JSON string) becomes one `[redacted]`, so the
 * whole token and any long fragment of it go. A secret shorter than the fragment length is
 * replaced only where it appears whole.
 */
export function secretRedactor(secret: string): Redact {
  const forms = [...new Set([secret, JSON.stringify(secret).slice(1, -1)])];
  if (secret.length < MIN_SECRET_FRAGMENT) {
    return (text) => {
      let out = text;
      for (const form of forms) if (out.includes(form)) out = out.replaceAll(form, REDACTED);
      return out;
    };
  }
  return fragmentRedactor(forms, REDACTED);
}

/**
 * Replaces every run of a text made of pieces, at least `MIN_SECRET_FRAGMENT` characters long, of
 * any of `secrets` with one `replacement`; secrets shorter than that are ignored. The scrubbing
 * `secretRedactor` does for the token, for other secrets (the worker's webhook URL parts).
 */
export function fragmentRedactor(secrets: readonly string[], replacement: string): Redact {
  const grams = new Set<string>();
  const chars = new Set<number>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_FRAGMENT) continue;
    for (let i = 0; i + MIN_SECRET_FRAGMENT <= secret.length; i++)
      grams.add(secret.slice(i, i + MIN_SECRET_FRAGMENT));
    for (let i = 0; i < secret.length; i++) chars.add(secret.charCodeAt(i));
  }
  if (grams.size === 0) return (text) => text;
  return (text) => scrubFragments(text, grams, chars, replacement);
}

function scrubFragments(
  text: string,
  grams: ReadonlySet<string>,
  chars: ReadonlySet<number>,
  replacement: string,
): string {
  const width = MIN_SECRET_FRAGMENT;
  let out = '';
  let copied = 0;
  let runStart = -1;
  let runEnd = -1;
  let i = 0;
  while (i + width <= text.length) {
    // A character the secret never uses rules out every window that holds it: skip past it.
    if (!chars.has(text.charCodeAt(i + width - 1))) {
      i += width;
      continue;
    }
    if (grams.has(text.slice(i, i + width))) {
      if (i > runEnd) {
        if (runStart >= 0) {
          out += text.slice(copied, runStart) + replacement;
          copied = runEnd;
        }
        runStart = i;
      }
      runEnd = i + width;
    }
    i++;
  }
  if (runStart < 0) return text;
  return out + text.slice(copied, runStart) + replacement + text.slice(runEnd);
}
