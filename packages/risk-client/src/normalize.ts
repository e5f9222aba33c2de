import { copyPayload } from './payload.js';
import type { RawSignal } from './schema.js';
import {
  EVIDENCE_STRENGTHS,
  type EvidenceStrength,
  type RiskSignal,
  SEVERITIES,
  type Severity,
} from './signals.js';

/** What the normaliser needs to know about the request the signals answer. */
export interface NormalizeContext {
  /** User ids of the players sent in the request; signals about anyone else are dropped. */
  readonly playerIds: ReadonlySet<string>;
  /** Stands in for a missing or zero `occurredAt`. */
  readonly now: Date;
}

/** Normalised signals plus what was left out. */
export interface NormalizedSignals {
  readonly signals: RiskSignal[];
  /**
   * Signals dropped for having no subject, a subject who was not a player in the request, or an
   * identifier (type, detector, reason) PostgreSQL could not index or store.
   */
  readonly dropped: number;
  /** Signals kept without their payload (over the size or depth bound, or not JSON). */
  readonly droppedPayloads: number;
}

export const DEFAULT_SIGNAL_TYPE = 'gameplay_integrity';
export const DEFAULT_REASON_CODE = 'risk_engine_signal';
/** Longest signal type, detector key/version or reason code kept (they are dedupe-index columns). */
export const MAX_IDENTIFIER_LENGTH = 200;

const SEVERITY_SET: ReadonlySet<string> = new Set(SEVERITIES);

// Engine vocabulary -> stored vocabulary; anything unlisted becomes `weak`.
const EVIDENCE_ALIASES: ReadonlyMap<string, EvidenceStrength> = new Map([
  ...EVIDENCE_STRENGTHS.map((s) => [s, s] as const),
  ['very_low', 'weak'],
  ['low', 'weak'],
  ['medium', 'limited'],
  ['high', 'substantial'],
  ['very_high', 'strong'],
]);

// RFC 3339 with a mandatory offset, as the contract promises.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
// Go's zero time.Time and the Unix epoch both mean "the engine did not set it".
const ZERO_TIMES: ReadonlySet<number> = new Set([Date.parse('0001-01-01T00:00:00Z'), 0]);

/**
 * Applies the normalisation table (docs/architecture.md, "The risk engine wire contract") to
 * raw engine signals. Pure: the same input and context always give the same output; payloads
 * are copied, never shared or interpreted.
 */
export function normalizeSignals(raw: readonly RawSignal[], context: NormalizeContext): NormalizedSignals {
  const nowIso = context.now.toISOString();

  const signals: RiskSignal[] = [];
  let dropped = 0;
  let droppedPayloads = 0;
  for (const signal of raw) {
    const subject = playerFor(trimmed(signal.subjectUserId), context.playerIds);
    if (subject === undefined) {
      dropped++;
      continue;
    }
    const signalType = trimmed(signal.signalType) || DEFAULT_SIGNAL_TYPE;
    const detectorKey = trimmed(signal.detectorKey) || null;
    const detectorVersion = trimmed(signal.detectorVersion) || null;
    const reasonCode = trimmed(signal.reasonCode) || DEFAULT_REASON_CODE;
    if (!storableIdentifiers(signalType, detectorKey, detectorVersion, reasonCode)) {
      dropped++;
      continue;
    }
    let payload: Record<string, unknown> | null = null;
    if (signal.payload !== null && signal.payload !== undefined) {
      const copy = copyPayload(signal.payload);
      if (copy.ok) payload = copy.payload;
      else droppedPayloads++;
    }
    signals.push({
      subjectUserId: subject,
      signalType,
      detectorKey,
      detectorVersion,
      severity: normalizeSeverity(signal.severity),
      evidenceStrength: normalizeEvidenceStrength(signal.evidenceStrength),
      reasonCode,
      recommendedQueue: signal.recommendedQueue ?? false,
      score: signal.score ?? 0,
      payload,
      occurredAt: normalizeOccurredAt(signal.occurredAt, nowIso),
    });
  }
  return { signals, dropped, droppedPayloads };
}

/** Trimmed, lower-cased severity; anything outside `low medium high critical` is `low`. */
export function normalizeSeverity(value: string | null | undefined): Severity {
  const key = trimmed(value).toLowerCase();
  return SEVERITY_SET.has(key) ? (key as Severity) : 'low';
}

/** Trimmed, lower-cased evidence strength with the engine's aliases mapped; anything else is `weak`. */
export function normalizeEvidenceStrength(value: string | null | undefined): EvidenceStrength {
  return EVIDENCE_ALIASES.get(trimmed(value).toLowerCase()) ?? 'weak';
}

/** UTC ISO time of the signal; missing, zero or unparseable times become `nowIso`. */
export function normalizeOccurredAt(value: string | null | undefined, nowIso: string): string {
  const text = trimmed(value);
  const fast = canonicalUtc(text);
  if (fast !== undefined) return fast === ZERO ? nowIso : fast;
  if (!RFC3339.test(text)) return nowIso;
  const at = Date.parse(text.replace(' ', 'T'));
  if (Number.isNaN(at) || ZERO_TIMES.has(at)) return nowIso;
  return new Date(at).toISOString();
}

// Identifiers are columns of the dedupe index: a huge one would make PostgreSQL refuse the row
// (index row too large) and a NUL cannot be stored in text at all; either would fail the write on
// every retry, so such a signal is dropped and counted instead.
function storableIdentifiers(...values: (string | null)[]): boolean {
  for (const value of values) {
    if (value !== null && (value.length > MAX_IDENTIFIER_LENGTH || value.includes('\u0000'))) return false;
  }
  return true;
}

// uuids are case-insensitive; a match keeps the spelling the request used.
function playerFor(subject: string, playerIds: ReadonlySet<string>): string | undefined {
  if (subject === '') return undefined;
  if (playerIds.has(subject)) return subject;
  const lower = subject.toLowerCase();
  for (const id of playerIds) if (id.toLowerCase() === lower) return id;
  return undefined;
}

const ZERO = '';
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// Fast path for what engines usually send, `YYYY-MM-DDTHH:MM:SS[.fff]Z`: validated field by field
// (Date.parse would roll 02-30 over into March) and rewritten without a Date round trip.
// Returns undefined for anything else, ZERO for a zero time.
function canonicalUtc(text: string): string | undefined {
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
  const millis = length === 20 ? '000' : text.slice(20, Math.min(23, length - 1)).padEnd(3, '0');
  if ((year === 1970 || year === 1) && ZERO_TIMES.has(Date.parse(text))) return ZERO;
  return `${text.slice(0, 19)}.${millis}Z`;
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

function trimmed(value: string | null | undefined): string {
  return value?.trim() ?? '';
}
