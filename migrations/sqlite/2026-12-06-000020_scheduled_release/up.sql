-- A release may be scheduled: frozen when the admin confirms it, public
-- from `released_at` (the scheduler flips it to 'released' at that moment).
-- SQLite cannot change a CHECK, so the table is rebuilt (create new, copy,
-- drop, rename, index again) with foreign keys off, in a transaction of its
-- own (metadata.toml: run_in_transaction = false).

PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE publications_new (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    cutoff_at TIMESTAMP NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    footnotes TEXT NOT NULL,
    p_percent INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'released')),
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    released_at TIMESTAMP,
    table_json TEXT,
    csv_en TEXT,
    csv_ja TEXT,
    sha256_en TEXT,
    sha256_ja TEXT,
    title_ja TEXT NOT NULL DEFAULT '',
    footnotes_ja TEXT NOT NULL DEFAULT '',
    audit_json TEXT,
    contributors_json TEXT
);
INSERT INTO publications_new (
    id, title, cutoff_at, period_from, period_to, footnotes, p_percent, status,
    created_by, created_at, released_at, table_json, csv_en, csv_ja, sha256_en,
    sha256_ja, title_ja, footnotes_ja, audit_json, contributors_json
)
SELECT
    id, title, cutoff_at, period_from, period_to, footnotes, p_percent, status,
    created_by, created_at, released_at, table_json, csv_en, csv_ja, sha256_en,
    sha256_ja, title_ja, footnotes_ja, audit_json, contributors_json
FROM publications;
DROP TABLE publications;
ALTER TABLE publications_new RENAME TO publications;
CREATE INDEX publications_status ON publications(status, released_at);

COMMIT;
PRAGMA foreign_keys = ON;
