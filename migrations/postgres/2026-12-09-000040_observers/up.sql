-- Observers: partner authorities (the self-regulatory body, the police)
-- who read versions and dashboards within a scope an admin sets: a set of
-- firms and a range of months, or the published aggregates only, until a
-- day (Tokyo) after which the scope has expired. users.role gains
-- 'observer' (neither firm nor staff: no firm_id). Keep in step with the
-- other backend.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('reporter', 'approver', 'analyst', 'admin', 'observer'));

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
