-- How many of a period's latest versions still await the regulator's
-- review, so the dashboard can mark figures that are not yet accepted.
ALTER TABLE period_summary ADD COLUMN awaiting_review BIGINT NOT NULL DEFAULT 0;
UPDATE period_summary SET awaiting_review = (
    SELECT COUNT(*) FROM returns r
    JOIN return_versions v ON v.return_id = r.id AND v.version_no = r.current_version
    WHERE r.period = period_summary.period AND v.status = 'submitted'
);
