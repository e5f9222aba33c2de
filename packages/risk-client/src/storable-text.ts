import type { RepairReason } from './normalization-counts.js';
import type { Redact } from './secret-redactor.js';

/** The NUL character: PostgreSQL stores it in neither text nor jsonb. */
export const NUL = '\u0000';

/** Repairs counted while making strings storable. */
export type TextRepairs = Record<Extract<RepairReason, 'ill_formed_string' | 'secret_redacted'>, number>;

/**
 * Makes an engine string storable: lone UTF-16 surrogates (which PostgreSQL's JSON input refuses)
 * become U+FFFD, then the secret is scrubbed. Each kind of change is counted once per string.
 * NUL is not touched here: whether it can be repaired depends on where the string goes.
 */
export function repairText(value: string, redact: Redact | null, repairs: TextRepairs): string {
  let text = value;
  if (!text.isWellFormed()) {
    text = text.toWellFormed();
    repairs.ill_formed_string++;
  }
  if (redact !== null) {
    const scrubbed = redact(text);
    if (scrubbed !== text) {
      text = scrubbed;
      repairs.secret_redacted++;
    }
  }
  return text;
}
