-- Undoes the typed-state CHECKs: the same rebuild without them.

PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE sessions_new (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    authenticated_at TIMESTAMP NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    stage TEXT NOT NULL DEFAULT 'full',
    second_factor_at TIMESTAMP
);
INSERT INTO sessions_new SELECT * FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE returns_new (
    id INTEGER PRIMARY KEY,
    firm_id INTEGER NOT NULL REFERENCES firms(id),
    period TEXT NOT NULL,
    state TEXT NOT NULL,
    draft_json TEXT,
    draft_updated_by INTEGER REFERENCES users(id),
    draft_updated_at TIMESTAMP,
    current_version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (firm_id, period)
);
INSERT INTO returns_new SELECT * FROM returns;
DROP TABLE returns;
ALTER TABLE returns_new RENAME TO returns;
CREATE INDEX returns_period ON returns(period);

CREATE TABLE return_versions_new (
    id INTEGER PRIMARY KEY,
    return_id INTEGER NOT NULL REFERENCES returns(id),
    firm_id INTEGER NOT NULL REFERENCES firms(id),
    period TEXT NOT NULL,
    version_no INTEGER NOT NULL,
    receipt_no TEXT NOT NULL UNIQUE,
    idempotency_key TEXT UNIQUE,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    is_nil BOOLEAN NOT NULL,
    unauthorized_accesses BIGINT NOT NULL CHECK (unauthorized_accesses >= 0),
    affected_accounts BIGINT NOT NULL CHECK (affected_accounts >= 0),
    fraudulent_trades BIGINT NOT NULL CHECK (fraudulent_trades >= 0),
    sale_amount_jpy BIGINT NOT NULL CHECK (sale_amount_jpy >= 0),
    purchase_amount_jpy BIGINT NOT NULL CHECK (purchase_amount_jpy >= 0),
    remediation TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    submitted_by INTEGER REFERENCES users(id),
    due_date DATE NOT NULL,
    on_time BOOLEAN NOT NULL,
    reviewed_at TIMESTAMP,
    reviewed_by INTEGER REFERENCES users(id),
    review_note TEXT,
    UNIQUE (return_id, version_no)
);
INSERT INTO return_versions_new SELECT * FROM return_versions;
DROP TABLE return_versions;
ALTER TABLE return_versions_new RENAME TO return_versions;
CREATE INDEX return_versions_submitted ON return_versions(submitted_at);
CREATE INDEX return_versions_firm_period ON return_versions(firm_id, period, version_no);
CREATE INDEX return_versions_period_firm_submitted ON return_versions (period, firm_id, submitted_at);

CREATE TABLE publications_new (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    cutoff_at TIMESTAMP NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    footnotes TEXT NOT NULL,
    p_percent INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    released_at TIMESTAMP,
    table_json TEXT,
    csv_en TEXT,
    csv_ja TEXT,
    sha256_en TEXT,
    sha256_ja TEXT
);
INSERT INTO publications_new SELECT * FROM publications;
DROP TABLE publications;
ALTER TABLE publications_new RENAME TO publications;
CREATE INDEX publications_status ON publications(status, released_at);

CREATE TABLE version_details_new (
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
INSERT INTO version_details_new SELECT * FROM version_details;
DROP TABLE version_details;
ALTER TABLE version_details_new RENAME TO version_details;

CREATE TABLE settings_new (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO settings_new SELECT * FROM settings;
DROP TABLE settings;
ALTER TABLE settings_new RENAME TO settings;

COMMIT;
PRAGMA foreign_keys = ON;
