import { cleanReportReason } from './reason-text.js';
import { normalizeReportCategory, type ReportCategory } from './report-category.js';

/** What the API (or the CLI) passes to record a player report. */
export interface PlayerReportInput {
  matchId: string;
  reporterUserId: string;
  reportedUserId: string;
  /** Trimmed and lower-cased; anything outside the known categories is recorded as `other`. */
  category: string;
  /**
   * Free text from the reporter; control and bidirectional-override characters are removed (see
   * cleanReportReason), then it is trimmed; empty means none.
   */
  reason?: string | null;
}

/** Longest reason kept, in characters after cleaning; longer is rejected, never cut silently. */
export const MAX_REPORT_REASON_LENGTH = 1000;

/** Input fields a rejection can name. */
export type ReportField = 'matchId' | 'reporterUserId' | 'reportedUserId' | 'reason';

/** Why a report was rejected: a closed set of codes, safe to branch on and to show. */
export const REPORT_REJECTIONS = [
  'invalid_uuid',
  'same_user',
  'reason_too_long',
  'invalid_characters',
  'unknown_match',
  'not_a_participant',
  'unknown_user',
  'reporter_not_in_match',
  'rate_limited',
] as const;
export type ReportRejection = (typeof REPORT_REJECTIONS)[number];

/** What each rejection means, worded for the reporter's client or an operator. */
export const REPORT_REJECTION_MESSAGES: Readonly<Record<ReportRejection, string>> = {
  invalid_uuid: 'is not a UUID',
  same_user: 'a player cannot report themselves',
  reason_too_long: `the reason is longer than ${MAX_REPORT_REASON_LENGTH} characters`,
  invalid_characters: 'the reason contains text PostgreSQL cannot store (an unpaired surrogate)',
  unknown_match: 'no match with this id exists',
  not_a_participant: 'the reported player did not play in this match',
  unknown_user: 'no user with this id exists',
  reporter_not_in_match: 'the reporter did not play in this match',
  rate_limited: 'the reporter has filed too many reports recently; try again later',
};

/** One line naming the field and why it was refused, e.g. `reporterUserId: the reporter did not play in this match`. */
export function describeReportRejection(rejection: InvalidReport): string {
  return `${rejection.field}: ${REPORT_REJECTION_MESSAGES[rejection.reason]}`;
}

/** A report that failed validation, naming the field and why. */
export interface InvalidReport {
  status: 'invalid';
  field: ReportField;
  reason: ReportRejection;
}

/** A report that passed the checks that need no database. */
export interface ValidReport {
  status: 'valid';
  matchId: string;
  reporterUserId: string;
  reportedUserId: string;
  category: ReportCategory;
  reason: string | null;
}

// PostgreSQL text and jsonb cannot hold unpaired surrogates; reject rather than guess the text.
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks and normalises a report without touching the database; the first problem wins. */
export function validateReportInput(input: PlayerReportInput): ValidReport | InvalidReport {
  const ids = {
    matchId: canonicalUuid(input.matchId),
    reporterUserId: canonicalUuid(input.reporterUserId),
    reportedUserId: canonicalUuid(input.reportedUserId),
  };
  for (const field of ['matchId', 'reporterUserId', 'reportedUserId'] as const) {
    if (ids[field] === null) return { status: 'invalid', field, reason: 'invalid_uuid' };
  }
  // Refused here rather than by the table's no-self-report check, so the caller gets a typed answer.
  if (ids.reporterUserId === ids.reportedUserId) {
    return { status: 'invalid', field: 'reportedUserId', reason: 'same_user' };
  }
  const reason = typeof input.reason === 'string' ? cleanReportReason(input.reason) : '';
  // Counted in code points so an emoji is one character, as the reporter sees it.
  if ([...reason].length > MAX_REPORT_REASON_LENGTH) {
    return { status: 'invalid', field: 'reason', reason: 'reason_too_long' };
  }
  // NUL, the other character PostgreSQL refuses, is a control character: cleaning removed it.
  if (UNPAIRED_SURROGATE.test(reason)) {
    return { status: 'invalid', field: 'reason', reason: 'invalid_characters' };
  }
  return {
    status: 'valid',
    matchId: ids.matchId as string,
    reporterUserId: ids.reporterUserId as string,
    reportedUserId: ids.reportedUserId as string,
    category: normalizeReportCategory(input.category),
    reason: reason === '' ? null : reason,
  };
}

function canonicalUuid(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const lower = value.trim().toLowerCase();
  return UUID.test(lower) ? lower : null;
}
