// Public face of player reports; the package index re-exports from here.

export { type PlayerReportResult, ReportConflictError, recordPlayerReport } from './record-player-report.js';
export {
  normalizeReportCategory,
  playerReportSignalType,
  REPORT_CATEGORIES,
  REPORT_CATEGORY_RULES,
  REPORT_EVIDENCE_STRENGTH,
  type ReportCategory,
  type ReportCategoryRule,
} from './report-category.js';
export {
  type InvalidReport,
  MAX_REPORT_REASON_LENGTH,
  type PlayerReportInput,
  REPORT_REJECTIONS,
  type ReportField,
  type ReportRejection,
} from './report-input.js';
