// Public face of player reports; the package index re-exports from here.

export { cleanReportReason } from './reason-text.js';
export {
  type PlayerReportResult,
  type RecordReportOptions,
  ReportConflictError,
  recordPlayerReport,
} from './record-player-report.js';
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
  describeReportRejection,
  type InvalidReport,
  MAX_REPORT_REASON_LENGTH,
  type PlayerReportInput,
  REPORT_REJECTION_MESSAGES,
  REPORT_REJECTIONS,
  type ReportField,
  type ReportRejection,
} from './report-input.js';
export { DEFAULT_REPORT_RATE_LIMIT, type ReportRateLimit } from './report-rate-limit.js';
