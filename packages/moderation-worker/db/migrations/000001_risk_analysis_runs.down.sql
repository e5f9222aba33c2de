-- Reverts only the worker's own table; the API's tables are never touched.
DROP TABLE IF EXISTS risk_analysis_runs;
