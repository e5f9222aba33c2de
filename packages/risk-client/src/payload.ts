import type { PayloadDropReason } from './normalization-counts.js';
import type { Redact } from './secret-redactor.js';
import { NUL, repairText, type TextRepairs } from './storable-text.js';

/** Largest payload kept, measured as UTF-8 JSON. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;
/** Deepest nesting kept (the payload object itself is depth 1). */
export const MAX_PAYLOAD_DEPTH = 32;

/** Why a payload was not kept. */
export type PayloadProblem = PayloadDropReason;

export type PayloadCopy =
  | { readonly ok: true; readonly payload: Record<string, unknown>; readonly repairs: TextRepairs }
  | { readonly ok: false; readonly problem: PayloadProblem };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

class PayloadRejected {
  constructor(readonly problem: PayloadProblem) {}
}

interface Walk {
  bound: number;
  readonly redact: Redact | null;
  readonly repairs: TextRepairs;
}

// Worst case UTF-8 bytes per UTF-16 unit once JSON-escaped (`\u0000` is six bytes).
const MAX_BYTES_PER_CHAR = 6;

/**
 * Copies an opaque engine payload as plain JSON data within the depth and size bounds, every key
 * and string made storable (lone surrogates repaired, the secret scrubbed; both counted in
 * `repairs`). A NUL anywhere rejects the payload: jsonb cannot hold it. A `__proto__` key becomes
 * an own data property of the copy: it never reaches a prototype.
 */
export function copyPayload(value: unknown, redact: Redact | null = null): PayloadCopy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'not_an_object' };
  }
  const walk: Walk = { bound: 0, redact, repairs: { ill_formed_string: 0, secret_redacted: 0 } };
  try {
    const payload = copyJson(value, 1, walk) as Record<string, unknown>;
    // The running bound is cheap and usually far below the limit; measure exactly only near it.
    if (walk.bound > MAX_PAYLOAD_BYTES && Buffer.byteLength(JSON.stringify(payload)) > MAX_PAYLOAD_BYTES) {
      return { ok: false, problem: 'too_large' };
    }
    return { ok: true, payload, repairs: walk.repairs };
  } catch (error) {
    if (error instanceof PayloadRejected) return { ok: false, problem: error.problem };
    throw error;
  }
}

function copyText(value: string, walk: Walk): string {
  // jsonb cannot hold U+0000; storing it would fail the whole write.
  if (value.includes(NUL)) throw new PayloadRejected('nul_character');
  const text = repairText(value, walk.redact, walk.repairs);
  walk.bound += 2 + text.length * MAX_BYTES_PER_CHAR;
  return text;
}

function copyJson(value: unknown, depth: number, walk: Walk): Json {
  switch (typeof value) {
    case 'string':
      return copyText(value, walk);
    case 'boolean':
      walk.bound += 5;
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new PayloadRejected('not_json');
      walk.bound += 24;
      // -0 is written as 0 by every JSON encoder: keep what will be stored.
      return value === 0 ? 0 : value;
    case 'object': {
      if (value === null) {
        walk.bound += 4;
        return null;
      }
      if (depth > MAX_PAYLOAD_DEPTH) throw new PayloadRejected('too_deep');
      if (Array.isArray(value)) {
        walk.bound += 2 + value.length;
        const copy: Json[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) copy[i] = copyJson(value[i], depth + 1, walk);
        return copy;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new PayloadRejected('not_json');
      walk.bound += 2;
      const copy: { [key: string]: Json } = {};
      for (const rawKey of Object.keys(value)) {
        const key = copyText(rawKey, walk);
        walk.bound += 2;
        // Two keys that a repair made equal would lose one value silently.
        if (Object.hasOwn(copy, key)) throw new PayloadRejected('key_collision');
        const item = copyJson((value as Record<string, unknown>)[rawKey], depth + 1, walk);
        // Assigning `__proto__` would swap the copy's prototype; define it as plain data instead.
        if (key === '__proto__') {
          Object.defineProperty(copy, key, {
            value: item,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          copy[key] = item;
        }
      }
      return copy;
    }
    default:
      throw new PayloadRejected('not_json');
  }
}
