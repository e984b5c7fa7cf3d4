-- The complete return: everything a submitted version says beyond the FSA
-- figures, one row per version (imported history has none). Keep in step
-- with migrations/postgres.
CREATE TABLE version_details (
    version_id BIGINT PRIMARY KEY REFERENCES return_versions(id),
    purchase_domestic_jpy BIGINT NOT NULL,
    purchase_china_hk_jpy BIGINT NOT NULL,
    purchase_us_jpy BIGINT NOT NULL,
    purchase_other_jpy BIGINT NOT NULL,
    vector_phishing BIGINT NOT NULL,
    vector_credential_stuffing BIGINT NOT NULL,
    vector_malware BIGINT NOT NULL,
    vector_sim_swap BIGINT NOT NULL,
    vector_insider BIGINT NOT NULL,
    vector_unknown BIGINT NOT NULL,
    detected_customer BIGINT NOT NULL,
    detected_monitoring BIGINT NOT NULL,
    detected_other BIGINT NOT NULL,
    detected_other_text TEXT NOT NULL,
    customer_losses_jpy BIGINT NOT NULL,
    compensation_paid_jpy BIGINT NOT NULL,
    accounts_compensated BIGINT NOT NULL,
    compensation_policy TEXT NOT NULL,
    compensation_percent INTEGER,
    checklist TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    attested_by BIGINT REFERENCES users(id),
    warnings TEXT NOT NULL,
    warnings_explanation TEXT NOT NULL,
    four_eyes TEXT NOT NULL
);
