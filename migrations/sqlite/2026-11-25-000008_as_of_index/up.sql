-- Time travel on the dashboard reads versions by period range and
-- submission time; this index keeps it from scanning every version.
CREATE INDEX return_versions_period_firm_submitted ON return_versions (period, firm_id, submitted_at);
