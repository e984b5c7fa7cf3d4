ALTER TABLE firms DROP COLUMN first_period;
