/**
 * How many player reports one reporter may file per window. Counted in PostgreSQL
 * (moderation_worker_report_quota), in the transaction that stores the report, so the limit holds
 * across replicas and processes; only reports actually stored count (duplicates and refusals do not).
 */
export interface ReportRateLimit {
  /** Reports stored per reporter per window at most (MODERATION_REPORT_RATE_LIMIT, default 10). */
  maxReports: number;
  /** Length of the fixed window, from the reporter's first report in it (MODERATION_REPORT_RATE_WINDOW, default 1h). */
  windowMs: number;
}

/** The limit when none is configured: 10 reports per hour, far above what an honest player files. */
export const DEFAULT_REPORT_RATE_LIMIT: ReportRateLimit = { maxReports: 10, windowMs: 3_600_000 };
