import type { EvidenceStrength, Severity } from '@geoduels/risk-client/signals';

/** The closed set of player-report categories, as stored. */
export const REPORT_CATEGORIES = ['cheating', 'profile', 'harassment', 'boosting', 'other'] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];

/** How a report of a category is stored: severity and score drive the review queue's ordering. */
export interface ReportCategoryRule {
  severity: Severity;
  score: number;
}

/**
 * Severity and score (0..1) per category. Cheating and boosting hurt other players' ranked results,
 * so they rank above conduct reports; one report is never `critical` on its own.
 */
export const REPORT_CATEGORY_RULES: Readonly<Record<ReportCategory, ReportCategoryRule>> = {
  cheating: { severity: 'high', score: 0.8 },
  boosting: { severity: 'high', score: 0.7 },
  harassment: { severity: 'medium', score: 0.6 },
  profile: { severity: 'low', score: 0.4 },
  other: { severity: 'low', score: 0.3 },
};

/** A single player's word is limited evidence, whatever the category. */
export const REPORT_EVIDENCE_STRENGTH: EvidenceStrength = 'limited';

/** Trims and lower-cases a category; null when it is not one of {@link REPORT_CATEGORIES}. */
export function normalizeReportCategory(raw: string): ReportCategory | null {
  const value = raw.trim().toLowerCase();
  return (REPORT_CATEGORIES as readonly string[]).includes(value) ? (value as ReportCategory) : null;
}
