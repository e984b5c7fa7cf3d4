ALTER TABLE period_summary DROP COLUMN revision;
