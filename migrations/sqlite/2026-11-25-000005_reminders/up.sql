-- Reminders sent (once per firm, period and kind) and analysts' digests
-- (at most one a day, each submission in exactly one) (SQLite).
-- Keep in step with migrations/postgres.
CREATE TABLE reminders_sent (
    id INTEGER PRIMARY KEY,
    firm_id INTEGER NOT NULL REFERENCES firms(id),
    period TEXT NOT NULL,
    kind TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    UNIQUE (firm_id, period, kind)
);

CREATE TABLE digests (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL UNIQUE,
    sent_at TIMESTAMP NOT NULL,
    submissions INTEGER NOT NULL
);

CREATE TABLE digest_items (
    version_id INTEGER PRIMARY KEY REFERENCES return_versions(id),
    digest_id INTEGER NOT NULL REFERENCES digests(id)
);
CREATE INDEX digest_items_digest ON digest_items(digest_id);
