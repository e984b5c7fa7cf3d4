-- Hand-over to approvers: a preparer marks the draft ready for approval;
-- the mark holds the SHA-256 of the whole draft it was given for, so any
-- later change (the hash no longer matches) undoes it. Keep in step with
-- the other backend.
ALTER TABLE returns ADD COLUMN ready_sha256 TEXT;
ALTER TABLE returns ADD COLUMN ready_by BIGINT REFERENCES users(id);
ALTER TABLE returns ADD COLUMN ready_at TIMESTAMP;
