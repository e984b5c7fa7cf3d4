-- The first month a firm must file a return for: no month before it is
-- expected of the firm (completeness, the board, reminders, overdue lists).
-- Existing firms start at their first version's period, else the month
-- they were added.
ALTER TABLE firms ADD COLUMN first_period TEXT NOT NULL DEFAULT '2000-01';
UPDATE firms SET first_period = COALESCE(
    (SELECT MIN(v.period) FROM return_versions v WHERE v.firm_id = firms.id),
    SUBSTR(CAST(created_at AS TEXT), 1, 7)
);
