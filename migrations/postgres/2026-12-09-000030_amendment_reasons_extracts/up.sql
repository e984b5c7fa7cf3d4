-- Amendments say why: each version from the second on keeps the reason
-- its approver chose (from a short list) and their words. The first
-- version has no row. Keep in step with the other backend.
CREATE TABLE version_amendments (
    version_id BIGINT PRIMARY KEY REFERENCES return_versions(id),
    reason TEXT NOT NULL CHECK (reason IN ('late_discovery', 'correction', 'regulator_request')),
    reason_text TEXT NOT NULL CHECK (char_length(reason_text) BETWEEN 1 AND 2000),
    recorded_at TIMESTAMP NOT NULL
);

-- Controlled extracts: what a staff user may export, granted by an admin
-- (who and when are in the audit trail). On the user, so pages offering
-- exports read it with the session's user.
ALTER TABLE users ADD COLUMN export_right TEXT NOT NULL DEFAULT 'none'
    CHECK (export_right IN ('none', 'export', 'export_contacts'));
