/** Largest payload kept, measured as UTF-8 JSON. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;
/** Deepest nesting kept (the payload object itself is depth 1). */
export const MAX_PAYLOAD_DEPTH = 32;

/** Why a payload was not kept. */
export type PayloadProblem = 'not_an_object' | 'too_deep' | 'too_large' | 'not_json';

export type PayloadCopy =
  | { readonly ok: true; readonly payload: Record<string, unknown> }
  | { readonly ok: false; readonly problem: PayloadProblem };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

class PayloadRejected {
  constructor(readonly problem: PayloadProblem) {}
}

// Worst case UTF-8 bytes per UTF-16 unit once JSON-escaped (`\u0000` is six bytes).
const MAX_BYTES_PER_CHAR = 6;

/**
 * Copies an opaque engine payload as plain JSON data within the depth and size bounds. A
 * `__proto__` key becomes an own data property of the copy: it never reaches a prototype.
 */
export function copyPayload(value: unknown): PayloadCopy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'not_an_object' };
  }
  const budget = { bound: 0 };
  try {
    const payload = copyJson(value, 1, budget) as Record<string, unknown>;
    // The running bound is cheap and usually far below the limit; measure exactly only near it.
    if (budget.bound > MAX_PAYLOAD_BYTES && Buffer.byteLength(JSON.stringify(payload)) > MAX_PAYLOAD_BYTES) {
      return { ok: false, problem: 'too_large' };
    }
    return { ok: true, payload };
  } catch (error) {
    if (error instanceof PayloadRejected) return { ok: false, problem: error.problem };
    throw error;
  }
}

function copyJson(value: unknown, depth: number, budget: { bound: number }): Json {
  switch (typeof value) {
    case 'string':
      // jsonb cannot hold U+0000; storing it would fail the whole write.
      if (value.includes('\u0000')) throw new PayloadRejected('not_json');
      budget.bound += 2 + value.length * MAX_BYTES_PER_CHAR;
      return value;
    case 'boolean':
      budget.bound += 5;
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new PayloadRejected('not_json');
      budget.bound += 24;
      return value;
    case 'object': {
      if (value === null) {
        budget.bound += 4;
        return null;
      }
      if (depth > MAX_PAYLOAD_DEPTH) throw new PayloadRejected('too_deep');
      if (Array.isArray(value)) {
        budget.bound += 2 + value.length;
        const copy: Json[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) copy[i] = copyJson(value[i], depth + 1, budget);
        return copy;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new PayloadRejected('not_json');
      budget.bound += 2;
      const copy: { [key: string]: Json } = {};
      for (const key of Object.keys(value)) {
        if (key.includes('\u0000')) throw new PayloadRejected('not_json');
        budget.bound += 4 + key.length * MAX_BYTES_PER_CHAR;
        const item = copyJson((value as Record<string, unknown>)[key], depth + 1, budget);
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
