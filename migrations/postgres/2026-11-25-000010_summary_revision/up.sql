-- A counter bumped by every change to a period's summary row. The sum over
-- a range changes whenever any figure in it does, so the dashboard can keep
-- what it derives from a range (the distinct count of firms with
-- fraudulent trades) until the range changes. Keep in step with the other
-- backend.
ALTER TABLE period_summary ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
