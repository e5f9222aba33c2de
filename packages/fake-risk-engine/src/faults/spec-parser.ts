import {
  type FaultSpec,
  HOSTILE_VARIANTS,
  type HostileVariant,
  POISON_VARIANTS,
  type PoisonVariant,
} from './faults.js';

/** The outcome of reading a fault from JSON: the fault, or the field that was wrong and why. */
export type ParsedFault = { ok: true; fault: FaultSpec } | { ok: false; field: string; detail: string };

const MAX_MS = 600_000;

type Check = { ok: true } | { ok: false; field: string; detail: string };
const fine: Check = { ok: true };
const bad = (field: string, detail: string): Check => ({ ok: false, field, detail });

function wholeNumber(value: unknown, field: string, min: number, max: number, required: boolean): Check {
  if (value === undefined) return required ? bad(field, 'is required') : fine;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return bad(field, `must be a whole number from ${min} to ${max}`);
  }
  return fine;
}

function checkBehaviour(o: Record<string, unknown>): Check {
  switch (o['kind']) {
    case 'latency':
      return wholeNumber(o['ms'], 'ms', 0, MAX_MS, true);
    case 'status':
      return wholeNumber(o['code'], 'code', 400, 599, true);
    case 'down':
      return wholeNumber(o['forMs'], 'forMs', 0, MAX_MS, false);
    case 'rate_limit': {
      const r = o['retryAfter'];
      if (r === undefined || typeof r === 'string') return fine;
      return wholeNumber(r, 'retryAfter', 0, 86_400, false);
    }
    case 'oversized':
      return o['contentLength'] === undefined || typeof o['contentLength'] === 'boolean'
        ? fine
        : bad('contentLength', 'must be a boolean');
    case 'hostile':
      return HOSTILE_VARIANTS.includes(o['variant'] as HostileVariant)
        ? fine
        : bad('variant', `must be one of ${HOSTILE_VARIANTS.join(', ')}`);
    case 'poison':
      return POISON_VARIANTS.includes(o['variant'] as PoisonVariant)
        ? fine
        : bad('variant', `must be one of ${POISON_VARIANTS.join(', ')}`);
    case 'hang':
    case 'unauthorized':
    case 'malformed_json':
    case 'schema_invalid':
    case 'max_body':
    case 'reset':
      return fine;
    default:
      return bad('kind', 'is not a known fault kind');
  }
}

/** Reads a fault spec from untrusted JSON (the control endpoint), naming the first bad field. */
export function parseFaultSpec(input: unknown): ParsedFault {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, field: '$', detail: 'must be a JSON object' };
  }
  const o = input as Record<string, unknown>;
  const checks = [
    checkBehaviour(o),
    wholeNumber(o['times'], 'times', 1, 1_000_000, false),
    o['scope'] === undefined || o['scope'] === 'analyze' || o['scope'] === 'all'
      ? fine
      : bad('scope', 'must be "analyze" or "all"'),
  ];
  for (const c of checks) if (!c.ok) return c;
  // Copy only known fields so nothing else from the request body rides along.
  const { kind, ms, code, forMs, retryAfter, contentLength, variant, times, scope } = o;
  const fault = Object.fromEntries(
    Object.entries({ kind, ms, code, forMs, retryAfter, contentLength, variant, times, scope }).filter(
      ([, v]) => v !== undefined,
    ),
  ) as FaultSpec;
  return { ok: true, fault };
}
