import {
  emptyTally,
  type NormalizationCounts,
  type NormalizationTally,
  type SignalDropReason,
  total,
} from './normalization-counts.js';
import { readOccurredAt } from './occurred-at.js';
import { copyPayload } from './payload.js';
import type { AnalyzeResponse, RawSignal } from './schema.js';
import type { Redact } from './secret-redactor.js';
import {
  EVIDENCE_STRENGTHS,
  type EvidenceStrength,
  type RiskSignal,
  SEVERITIES,
  type Severity,
} from './signals.js';
import { NUL, repairText, type TextRepairs } from './storable-text.js';

/** What the normaliser needs to know about the request the signals answer. */
export interface NormalizeContext {
  /** User ids of the players sent in the request; signals about anyone else are dropped. */
  readonly playerIds: ReadonlySet<string>;
  /** Stands in for a missing, zero or unstorable `occurredAt`. */
  readonly now: Date;
  /** Scrubs the bearer token (and long fragments of it) out of every string kept. Default: none. */
  readonly redact?: Redact | null;
}

/** Normalised signals plus what was left out or changed. */
export interface NormalizedSignals {
  readonly signals: RiskSignal[];
  /** Signals dropped (the sum of `counts.droppedSignals`). */
  readonly dropped: number;
  /** Signals kept without their payload (the sum of `counts.droppedPayloads`). */
  readonly droppedPayloads: number;
  /** Every drop and repair by named reason. */
  readonly counts: NormalizationCounts;
}

/** A whole normalised answer: its version strings made storable, its signals normalised. */
export interface NormalizedAnswer extends NormalizedSignals {
  readonly detectorVersion: string;
  readonly factsVersion: string;
}

export const DEFAULT_SIGNAL_TYPE = 'gameplay_integrity';
export const DEFAULT_REASON_CODE = 'risk_engine_signal';
/**
 * Longest signal type, detector key/version or reason code kept (they are dedupe-index columns:
 * three of them at 3 UTF-8 bytes a unit stay under PostgreSQL's btree row limit), and longest
 * top-level `detectorVersion`/`factsVersion`.
 */
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

/**
 * Normalises a whole schema-valid answer. Everything it returns can be stored by PostgreSQL:
 * strings well-formed and free of NUL, identifiers bounded, times inside timestamptz's range,
 * numbers finite. The version strings are repaired in place (NUL -> U+FFFD, cut to
 * `MAX_IDENTIFIER_LENGTH`), because refusing the answer would only make the caller ask again for
 * the same one; signals follow `normalizeSignals`. Pure.
 */
export function normalizeAnswer(answer: AnalyzeResponse, context: NormalizeContext): NormalizedAnswer {
  const tally = emptyTally();
  const detectorVersion = storableVersion(answer.detectorVersion, context.redact ?? null, tally);
  const factsVersion = storableVersion(answer.factsVersion, context.redact ?? null, tally);
  return { detectorVersion, factsVersion, ...normalizeInto(answer.signals, context, tally) };
}

/**
 * Applies the normalisation table (docs/architecture.md, "The risk engine wire contract") to
 * raw engine signals. Pure: the same input and context always give the same output; payloads
 * are copied, never shared or interpreted.
 */
export function normalizeSignals(raw: readonly RawSignal[], context: NormalizeContext): NormalizedSignals {
  return normalizeInto(raw, context, emptyTally());
}

function normalizeInto(
  raw: readonly RawSignal[],
  context: NormalizeContext,
  tally: NormalizationTally,
): NormalizedSignals {
  const nowIso = context.now.toISOString();
  const redact = context.redact ?? null;
  const { repaired } = tally;
  const signals: RiskSignal[] = [];
  for (const signal of raw) {
    const subjectText = trimmed(signal.subjectUserId);
    const subject = playerFor(subjectText, context.playerIds);
    if (subject === undefined) {
      tally.droppedSignals[subjectText === '' ? 'no_subject' : 'unknown_subject']++;
      continue;
    }
    // Repairs of a signal that is dropped after all are not counted: only what is kept was changed.
    const repairs: TextRepairs = { ill_formed_string: 0, secret_redacted: 0 };
    const signalType = repairText(trimmed(signal.signalType), redact, repairs) || DEFAULT_SIGNAL_TYPE;
    const detectorKey = repairText(trimmed(signal.detectorKey), redact, repairs) || null;
    const detectorVersion = repairText(trimmed(signal.detectorVersion), redact, repairs) || null;
    const reasonCode = repairText(trimmed(signal.reasonCode), redact, repairs) || DEFAULT_REASON_CODE;
    const unstorable = unstorableIdentifier(signalType, detectorKey, detectorVersion, reasonCode);
    if (unstorable !== null) {
      tally.droppedSignals[unstorable]++;
      continue;
    }
    let payload: Record<string, unknown> | null = null;
    if (signal.payload !== null && signal.payload !== undefined) {
      const copy = copyPayload(signal.payload, redact);
      if (copy.ok) {
        payload = copy.payload;
        repairs.ill_formed_string += copy.repairs.ill_formed_string;
        repairs.secret_redacted += copy.repairs.secret_redacted;
      } else {
        tally.droppedPayloads[copy.problem]++;
      }
    }
    repaired.ill_formed_string += repairs.ill_formed_string;
    repaired.secret_redacted += repairs.secret_redacted;
    const at = readOccurredAt(signal.occurredAt);
    if (at.kind === 'out_of_range') repaired.occurred_at_out_of_range++;
    signals.push({
      subjectUserId: subject,
      signalType,
      detectorKey,
      detectorVersion,
      severity: normalizeSeverity(signal.severity),
      evidenceStrength: normalizeEvidenceStrength(signal.evidenceStrength),
      reasonCode,
      recommendedQueue: signal.recommendedQueue ?? false,
      // -0 becomes 0, as PostgreSQL would store it.
      score: signal.score || 0,
      payload,
      occurredAt: at.kind === 'time' ? at.iso : nowIso,
    });
  }
  return {
    signals,
    dropped: total(tally.droppedSignals),
    droppedPayloads: total(tally.droppedPayloads),
    counts: tally,
  };
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

/** UTC ISO time of the signal; missing, zero, unparseable or unstorable times become `nowIso`. */
export function normalizeOccurredAt(value: string | null | undefined, nowIso: string): string {
  const at = readOccurredAt(value);
  return at.kind === 'time' ? at.iso : nowIso;
}

// Identifiers are columns of the dedupe index: a huge one would make PostgreSQL refuse the row
// (index row too large) and a NUL cannot be stored in text at all; either would fail the write on
// every retry, so such a signal is dropped and counted instead. (A NUL is not replaced here, unlike
// in the version strings: two different keys must not become one dedupe key.)
function unstorableIdentifier(...values: (string | null)[]): SignalDropReason | null {
  for (const value of values) {
    if (value === null) continue;
    if (value.length > MAX_IDENTIFIER_LENGTH) return 'identifier_too_long';
    if (value.includes(NUL)) return 'identifier_nul';
  }
  return null;
}

// The answer's own version strings are not dedupe keys (the run row keeps the detector version for
// people to read), so they are repaired rather than refused.
function storableVersion(value: string, redact: Redact | null, tally: NormalizationTally): string {
  let text = repairText(value, redact, tally.repaired);
  if (text.includes(NUL)) {
    text = text.replaceAll(NUL, '\uFFFD');
    tally.repaired.version_nul++;
  }
  if (text.length > MAX_IDENTIFIER_LENGTH) {
    // Cut between code points: a cut inside a surrogate pair would leave a lone surrogate behind.
    const high = text.charCodeAt(MAX_IDENTIFIER_LENGTH - 1);
    const end = high >= 0xd800 && high <= 0xdbff ? MAX_IDENTIFIER_LENGTH - 1 : MAX_IDENTIFIER_LENGTH;
    text = text.slice(0, end);
    tally.repaired.version_too_long++;
  }
  return text;
}

// uuids are case-insensitive; a match keeps the spelling the request used.
function playerFor(subject: string, playerIds: ReadonlySet<string>): string | undefined {
  if (subject === '') return undefined;
  if (playerIds.has(subject)) return subject;
  const lower = subject.toLowerCase();
  for (const id of playerIds) if (id.toLowerCase() === lower) return id;
  return undefined;
}

function trimmed(value: string | null | undefined): string {
  return value?.trim() ?? '';
}
