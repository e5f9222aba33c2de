import { normalizeReportCategory, type ReportCategory } from './report-category.js';

/** What the API (or the CLI) passes to record a player report. */
export interface PlayerReportInput {
  matchId: string;
  reporterUserId: string;
  reportedUserId: string;
  /** Trimmed and lower-cased; anything outside the known categories is recorded as `other`. */
  category: string;
  /** Free text from the reporter; trimmed, empty means none. */
  reason?: string | null;
}

/** Longest reason kept, in characters after trimming; longer is rejected, never cut silently. */
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
] as const;
export type ReportRejection = (typeof REPORT_REJECTIONS)[number];

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

// PostgreSQL text and jsonb cannot hold NUL or unpaired surrogates; reject rather than alter the text.
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
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  // Counted in code points so an emoji is one character, as the reporter sees it.
  if ([...reason].length > MAX_REPORT_REASON_LENGTH) {
    return { status: 'invalid', field: 'reason', reason: 'reason_too_long' };
  }
  if (reason.includes('\u0000') || UNPAIRED_SURROGATE.test(reason)) {
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
