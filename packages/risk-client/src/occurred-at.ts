/** Earliest time kept: 0001-01-01T00:00:00Z. Earlier years have no four-digit ISO form PostgreSQL reads. */
export const MIN_STORABLE_TIME_MS = Date.parse('0001-01-01T00:00:00.000Z');
/** Latest time kept: 9999-12-31T23:59:59.999Z. Later years have no four-digit ISO form (JS writes `+010000-...`). */
export const MAX_STORABLE_TIME_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** What an engine `occurredAt` came to. */
export type OccurredAt =
  /** A storable UTC ISO time. */
  | { readonly kind: 'time'; readonly iso: string }
  /** Missing, zero (Go's zero time or the Unix epoch) or unparseable: the engine did not say. */
  | { readonly kind: 'unset' }
  /** A real time outside the storable range (year 0000, or past 9999 once its offset is applied). */
  | { readonly kind: 'out_of_range' };

const UNSET: OccurredAt = Object.freeze({ kind: 'unset' });
const OUT_OF_RANGE: OccurredAt = Object.freeze({ kind: 'out_of_range' });

// RFC 3339 with a mandatory offset, as the contract promises.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
// Go's zero time.Time and the Unix epoch both mean "the engine did not set it".
const ZERO_TIMES: ReadonlySet<number> = new Set([Date.parse('0001-01-01T00:00:00Z'), 0]);

/**
 * Reads an engine time. Only times PostgreSQL's timestamptz can take back from their ISO text are
 * `time`; the caller replaces the others by now (as production replaces a zero time).
 */
export function readOccurredAt(value: string | null | undefined): OccurredAt {
  const text = value?.trim() ?? '';
  const fast = canonicalUtc(text);
  if (fast !== undefined) return fast;
  if (!RFC3339.test(text)) return UNSET;
  const at = Date.parse(text.replace(' ', 'T'));
  if (Number.isNaN(at) || ZERO_TIMES.has(at)) return UNSET;
  if (at < MIN_STORABLE_TIME_MS || at > MAX_STORABLE_TIME_MS) return OUT_OF_RANGE;
  return { kind: 'time', iso: new Date(at).toISOString() };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// Fast path for what engines usually send, `YYYY-MM-DDTHH:MM:SS[.fff]Z`: validated field by field
// (Date.parse would roll 02-30 over into March) and rewritten without a Date round trip.
// Returns undefined for anything else.
function canonicalUtc(text: string): OccurredAt | undefined {
  const length = text.length;
  if (length !== 20 && !(length >= 22 && length <= 30 && text[19] === '.')) return undefined;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':')
    return undefined;
  if (text[length - 1] !== 'Z') return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  const fraction = length === 20 ? 0 : digits(text, 20, length - 1);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
    return undefined;
  }
  if (second < 0 || second > 59 || fraction < 0) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return undefined;
  // Year 0000 is 1 BC: PostgreSQL has no year zero and refuses the text.
  if (year === 0) return OUT_OF_RANGE;
  if ((year === 1970 || year === 1) && ZERO_TIMES.has(Date.parse(text))) return UNSET;
  const millis = length === 20 ? '000' : text.slice(20, Math.min(23, length - 1)).padEnd(3, '0');
  return { kind: 'time', iso: `${text.slice(0, 19)}.${millis}Z` };
}

// The non-negative integer spelled by text[start, end), or -1 if any character is not a digit.
function digits(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return -1;
    value = value * 10 + code;
  }
  return value;
}
