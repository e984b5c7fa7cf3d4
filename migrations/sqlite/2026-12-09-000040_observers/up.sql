-- Observers: partner authorities (the self-regulatory body, the police)
-- who read versions and dashboards within a scope an admin sets: a set of
-- firms and a range of months, or the published aggregates only, until a
-- day (Tokyo) after which the scope has expired.
--
-- users.role gains 'observer' (neither firm nor staff: no firm_id). SQLite
-- cannot change a CHECK, so users is rebuilt by its documented procedure
-- (create new, copy, drop, rename, indexes again, foreign_key_check) with
-- foreign keys off, in a transaction of its own (metadata.toml:
-- run_in_transaction = false, since PRAGMA foreign_keys is ignored inside
-- a transaction). Every column of users is listed, export_right
-- (2026-12-09-000030) included. Keep in step with the other backend.

PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE users_new (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('reporter', 'approver', 'analyst', 'admin', 'observer')),
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
    FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_firm ON users(firm_id);

-- One scope per observer. Months are YYYY-MM; an aggregates-only scope
-- names none. `revision` counts saves, so a form based on an older scope
-- is refused (a guarded UPDATE).
CREATE TABLE observer_scopes (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    aggregates_only BOOLEAN NOT NULL,
    period_from TEXT CHECK (period_from IS NULL OR period_from LIKE '____-__'),
    period_to TEXT CHECK (period_to IS NULL OR period_to LIKE '____-__'),
    expires_on DATE NOT NULL,
    revision INTEGER NOT NULL CHECK (revision >= 1),
    updated_by BIGINT NOT NULL REFERENCES users(id),
    updated_at TIMESTAMP NOT NULL,
    CHECK (aggregates_only OR (period_from IS NOT NULL AND period_to IS NOT NULL AND period_from <= period_to)),
    CHECK (NOT aggregates_only OR (period_from IS NULL AND period_to IS NULL))
);

CREATE TABLE observer_scope_firms (
    user_id BIGINT NOT NULL REFERENCES observer_scopes(user_id),
    firm_id BIGINT NOT NULL REFERENCES firms(id),
    PRIMARY KEY (user_id, firm_id)
);
CREATE INDEX observer_scope_firms_firm ON observer_scope_firms (firm_id);

-- The admins' list of observer views reads one observer's events newest
-- first.
CREATE INDEX audit_events_actor_action ON audit_events (actor_user_id, action, id);

-- A dangling reference left by the rebuild fails the migration (step 10
-- of SQLite's procedure): the CHECK refuses a count other than zero.
CREATE TEMP TABLE observers_fk_check (dangling INTEGER NOT NULL CHECK (dangling = 0));
INSERT INTO observers_fk_check SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE observers_fk_check;

COMMIT;
PRAGMA foreign_keys = ON;
