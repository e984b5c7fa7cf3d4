-- Observers removed: their scopes, then their users (who may have left
-- audit rows naming them by label only), then the role. SQLite rebuilds
-- users as in up.sql.
DROP INDEX audit_events_actor_action;
DROP TABLE observer_scope_firms;
DROP TABLE observer_scopes;

PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE role = 'observer');
DELETE FROM auth_tokens WHERE user_id IN (SELECT id FROM users WHERE role = 'observer');
DELETE FROM passkeys WHERE user_id IN (SELECT id FROM users WHERE role = 'observer');
DELETE FROM recovery_codes WHERE user_id IN (SELECT id FROM users WHERE role = 'observer');
DELETE FROM webauthn_states WHERE user_id IN (SELECT id FROM users WHERE role = 'observer');

CREATE TABLE users_new (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('reporter', 'approver', 'analyst', 'admin')),
    firm_id INTEGER REFERENCES firms(id),
    password_hash TEXT,
    must_change_password BOOLEAN NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT 1,
    locale TEXT NOT NULL DEFAULT 'en',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP,
    totp_secret TEXT,
    totp_enabled_at TIMESTAMP,
    totp_last_step BIGINT,
    export_right TEXT NOT NULL DEFAULT 'none'
        CHECK (export_right IN ('none', 'export', 'export_contacts')),
    CHECK ((role IN ('reporter', 'approver')) = (firm_id IS NOT NULL))
);
INSERT INTO users_new (id, email, display_name, role, firm_id, password_hash,
        must_change_password, active, locale, created_at, updated_at,
        password_changed_at, totp_secret, totp_enabled_at, totp_last_step,
        export_right)
    SELECT id, email, display_name, role, firm_id, password_hash,
        must_change_password, active, locale, created_at, updated_at,
        password_changed_at, totp_secret, totp_enabled_at, totp_last_step,
        export_right
    FROM users WHERE role <> 'observer';
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_firm ON users(firm_id);

CREATE TEMP TABLE observers_fk_check (dangling INTEGER NOT NULL CHECK (dangling = 0));
INSERT INTO observers_fk_check SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE observers_fk_check;

COMMIT;
PRAGMA foreign_keys = ON;
