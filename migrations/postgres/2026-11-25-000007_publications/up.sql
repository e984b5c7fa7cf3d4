-- Official-statistics publications: a draft an admin edits, then an
-- immutable release with its frozen table, CSV bytes and checksums; and the
-- cells an admin released despite disclosure control, with the reason.
-- Keep in step with the other backend's folder.
CREATE TABLE publications (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    cutoff_at TIMESTAMP NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    footnotes TEXT NOT NULL,
    p_percent INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    released_at TIMESTAMP,
    table_json TEXT,
    csv_en TEXT,
    csv_ja TEXT,
    sha256_en TEXT,
    sha256_ja TEXT
);
CREATE INDEX publications_status ON publications(status, released_at);

CREATE TABLE publication_overrides (
    id BIGSERIAL PRIMARY KEY,
    publication_id BIGINT NOT NULL REFERENCES publications(id),
    cell TEXT NOT NULL,
    justification TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (publication_id, cell)
);
