DROP TABLE legal_holds;
DROP TABLE retention_runs;
