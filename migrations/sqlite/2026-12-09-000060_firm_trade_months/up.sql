-- The months in which each firm's latest figures show fraudulent trades,
-- kept in the transaction that changes a firm-month's latest version (as
-- period_summary is), so the dashboard's distinct-firms total for a range
-- is one index seek per firm instead of a scan of the returns.
CREATE TABLE firm_trade_months (
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    period TEXT NOT NULL,
    PRIMARY KEY (firm_id, period)
);
INSERT INTO firm_trade_months (firm_id, period)
SELECT r.firm_id, r.period
FROM returns r
JOIN return_versions v ON v.return_id = r.id AND v.version_no = r.current_version
WHERE v.fraudulent_trades > 0;
