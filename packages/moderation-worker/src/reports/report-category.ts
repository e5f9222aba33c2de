import type { EvidenceStrength, Severity } from '@geoduels/risk-client/signals';

/** The player-report categories production records; anything else is recorded as `other`. */
export const REPORT_CATEGORIES = ['cheating', 'profile', 'harassment', 'boosting', 'other'] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];

/** How a report of a category is stored: severity and score drive the review queue's ordering. */
export interface ReportCategoryRule {
  severity: Severity;
  score: number;
}

/**
 * Severity and score per category, production's values: reports that touch ranked results
 * (cheating, boosting) rank above conduct, and one report is never high on its own.
 */
export const REPORT_CATEGORY_RULES: Readonly<Record<ReportCategory, ReportCategoryRule>> = {
  cheating: { severity: 'medium', score: 2 },
  boosting: { severity: 'medium', score: 2 },
  harassment: { severity: 'medium', score: 1.5 },
  profile: { severity: 'low', score: 1 },
  other: { severity: 'low', score: 1 },
};

/** A single player's word is limited evidence, whatever the category. */
export const REPORT_EVIDENCE_STRENGTH: EvidenceStrength = 'limited';

/**
 * Trims and lower-cases a category as production does; anything that is not one of
 * {@link REPORT_CATEGORIES} (empty, unknown, not a string) becomes `other`.
 */
export function normalizeReportCategory(raw: unknown): ReportCategory {
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  return (REPORT_CATEGORIES as readonly string[]).includes(value) ? (value as ReportCategory) : 'other';
}

/** Signal type stored for a report of a category, e.g. `player_report:cheating`. */
export function playerReportSignalType(category: ReportCategory): string {
  return `player_report:${category}`;
}
