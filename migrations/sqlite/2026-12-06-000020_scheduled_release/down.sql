-- Scheduled releases go back to drafts (their frozen files are dropped)
-- before the CHECK narrows again.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

UPDATE publications
SET status = 'draft', released_at = NULL, table_json = NULL, csv_en = NULL,
    csv_ja = NULL, sha256_en = NULL, sha256_ja = NULL, audit_json = NULL,
    contributors_json = NULL
WHERE status = 'scheduled';

CREATE TABLE publications_new (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    cutoff_at TIMESTAMP NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    footnotes TEXT NOT NULL,
    p_percent INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'released')),
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
INSERT INTO publications_new SELECT * FROM publications;
DROP TABLE publications;
ALTER TABLE publications_new RENAME TO publications;
CREATE INDEX publications_status ON publications(status, released_at);

COMMIT;
PRAGMA foreign_keys = ON;
