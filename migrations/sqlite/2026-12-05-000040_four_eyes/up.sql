-- Four eyes that hold: the regulator's single-user exemption per firm, the
-- people behind each version (preparers, the approver's statement, the
-- basis), and who changed a draft (one row per change, with a SHA-256 of
-- the whole draft after it). Keep in step with the other backend.
ALTER TABLE firms ADD COLUMN single_user_exempt BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE firms ADD COLUMN exempt_decided_on DATE;
ALTER TABLE return_versions ADD COLUMN attested_by BIGINT REFERENCES users(id);
ALTER TABLE return_versions ADD COLUMN approver_note TEXT NOT NULL DEFAULT '';
ALTER TABLE return_versions ADD COLUMN four_eyes_basis TEXT NOT NULL DEFAULT '';
ALTER TABLE return_versions ADD COLUMN exempt_decided_on DATE;
ALTER TABLE return_versions ADD COLUMN content_sha256 TEXT;
CREATE TABLE draft_changes (
    id INTEGER PRIMARY KEY,
    return_id BIGINT NOT NULL REFERENCES returns(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    content_sha256 TEXT NOT NULL,
    what TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX draft_changes_return ON draft_changes (return_id, id);
CREATE TABLE version_preparers (
    version_id BIGINT NOT NULL REFERENCES return_versions(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (version_id, user_id)
);
