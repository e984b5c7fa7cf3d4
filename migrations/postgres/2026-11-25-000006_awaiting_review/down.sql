ALTER TABLE period_summary DROP COLUMN awaiting_review;
