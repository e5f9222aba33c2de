/** Why normalisation dropped a whole signal. */
export const SIGNAL_DROP_REASONS = [
  /** No `subjectUserId` (missing or blank). */
  'no_subject',
  /** A subject who was not a player in the request. */
  'unknown_subject',
  /** A type, detector key/version or reason code over `MAX_IDENTIFIER_LENGTH` (a dedupe-index column). */
  'identifier_too_long',
  /** A type, detector key/version or reason code holding NUL (U+0000), which text cannot store. */
  'identifier_nul',
] as const;
export type SignalDropReason = (typeof SIGNAL_DROP_REASONS)[number];

/** Why a payload was not kept (its signal was). */
export const PAYLOAD_DROP_REASONS = [
  'not_an_object',
  /** Nested deeper than `MAX_PAYLOAD_DEPTH`. */
  'too_deep',
  /** Over `MAX_PAYLOAD_BYTES` of UTF-8 JSON. */
  'too_large',
  /** Not plain JSON data (a non-finite number, a non-plain object). */
  'not_json',
  /** A key or string value holding NUL (U+0000), which jsonb cannot store. */
  'nul_character',
  /** Two keys of one object that became the same key once repaired or redacted. */
  'key_collision',
] as const;
export type PayloadDropReason = (typeof PAYLOAD_DROP_REASONS)[number];

/** What normalisation repaired in place (the value was kept, changed). Counted once per string or time. */
export const REPAIR_REASONS = [
  /** A string with a lone UTF-16 surrogate: each one replaced by U+FFFD (`String.prototype.toWellFormed`). */
  'ill_formed_string',
  /** A string holding the bearer token, or a fragment of it: replaced by `[redacted]`. */
  'secret_redacted',
  /** A top-level `detectorVersion`/`factsVersion` holding NUL: each NUL replaced by U+FFFD. */
  'version_nul',
  /** A top-level `detectorVersion`/`factsVersion` over `MAX_IDENTIFIER_LENGTH`: cut to it. */
  'version_too_long',
  /** An `occurredAt` PostgreSQL cannot store (outside years 1-9999 UTC): replaced by now, as a zero time is. */
  'occurred_at_out_of_range',
] as const;
export type RepairReason = (typeof REPAIR_REASONS)[number];

/** What normalisation left out or changed in one answer, by named reason (every reason present, 0 when none). */
export interface NormalizationCounts {
  readonly droppedSignals: Readonly<Record<SignalDropReason, number>>;
  readonly droppedPayloads: Readonly<Record<PayloadDropReason, number>>;
  readonly repaired: Readonly<Record<RepairReason, number>>;
}

/** The mutable tally the normaliser fills in. */
export interface NormalizationTally {
  droppedSignals: Record<SignalDropReason, number>;
  droppedPayloads: Record<PayloadDropReason, number>;
  repaired: Record<RepairReason, number>;
}

const zeros = <K extends string>(keys: readonly K[]): Record<K, number> =>
  Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

/** A tally with every reason at 0. */
export function emptyTally(): NormalizationTally {
  return {
    droppedSignals: zeros(SIGNAL_DROP_REASONS),
    droppedPayloads: zeros(PAYLOAD_DROP_REASONS),
    repaired: zeros(REPAIR_REASONS),
  };
}

/** Sum of the counts of one family. */
export function total(counts: Readonly<Record<string, number>>): number {
  let sum = 0;
  for (const key in counts) sum += counts[key]!;
  return sum;
}
