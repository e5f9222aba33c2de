DROP TABLE IF EXISTS risk_analysis_runs;
