-- Purchases by market and attack vectors per period, kept with the other
-- totals so the dashboard's charts read them without scanning returns.
-- Versions without details (imported, nil) count as zero.
ALTER TABLE period_summary ADD COLUMN purchase_domestic_jpy BIGINT NOT NULL DEFAULT 0;
ALTER TABLE period_summary ADD COLUMN purchase_china_hk_jpy BIGINT NOT NULL DEFAULT 0;
ALTER TABLE period_summary ADD COLUMN purchase_us_jpy BIGINT NOT NULL DEFAULT 0;
ALTER TABLE period_summary ADD COLUMN purchase_other_jpy BIGINT NOT NULL DEFAULT 0;
ALTER TABLE period_summary ADD COLUMN vector_phishing BIGINT NOT NULL DEFAULT 0;
ALTER TABLE period_summary ADD COLUMN vector_credential_stuffing BIGINT NOT NULL DEFAULT 0;
ALTER TABLE period_summary ADD COLUMN vector_malware BIGINT NOT NULL DEFAULT 0;
ALTER TABLE period_summary ADD COLUMN vector_sim_swap BIGINT NOT NULL DEFAULT 0;
ALTER TABLE period_summary ADD COLUMN vector_insider BIGINT NOT NULL DEFAULT 0;
ALTER TABLE period_summary ADD COLUMN vector_unknown BIGINT NOT NULL DEFAULT 0;
UPDATE period_summary SET
    purchase_domestic_jpy = b.purchase_domestic_jpy,
    purchase_china_hk_jpy = b.purchase_china_hk_jpy,
    purchase_us_jpy = b.purchase_us_jpy,
    purchase_other_jpy = b.purchase_other_jpy,
    vector_phishing = b.vector_phishing,
    vector_credential_stuffing = b.vector_credential_stuffing,
    vector_malware = b.vector_malware,
    vector_sim_swap = b.vector_sim_swap,
    vector_insider = b.vector_insider,
    vector_unknown = b.vector_unknown
FROM (
    SELECT r.period AS period,
        SUM(d.purchase_domestic_jpy) AS purchase_domestic_jpy,
        SUM(d.purchase_china_hk_jpy) AS purchase_china_hk_jpy,
        SUM(d.purchase_us_jpy) AS purchase_us_jpy,
        SUM(d.purchase_other_jpy) AS purchase_other_jpy,
        SUM(d.vector_phishing) AS vector_phishing,
        SUM(d.vector_credential_stuffing) AS vector_credential_stuffing,
        SUM(d.vector_malware) AS vector_malware,
        SUM(d.vector_sim_swap) AS vector_sim_swap,
        SUM(d.vector_insider) AS vector_insider,
        SUM(d.vector_unknown) AS vector_unknown
    FROM returns r
    JOIN return_versions v ON v.return_id = r.id AND v.version_no = r.current_version
    JOIN version_details d ON d.version_id = v.id
    GROUP BY r.period
) AS b
WHERE b.period = period_summary.period;
