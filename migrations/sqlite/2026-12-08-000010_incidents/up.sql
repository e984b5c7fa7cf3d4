-- Incidents: a firm reports an event in stages (initial, intermediate,
-- final), each stage as many versions as it is updated. Each stage's due
-- time is computed from the admin's rule when its trigger happens and kept
-- on the incident (never recomputed); each version keeps the due time it
-- was measured against and whether it met it. The regulator triages each
-- incident, writes to the firm (or internally) in its thread and links
-- incidents of several firms as one campaign. Reminders and overdue
-- notices are claimed once per (incident, stage, kind) by the primary key
-- of `incident_notices`, across instances (kind `sent`: the analysts were
-- told of a stage's first version). Keep in step with the other
-- backend.
CREATE TABLE incident_deadlines (
    stage TEXT PRIMARY KEY CHECK (stage IN ('initial', 'intermediate', 'final')),
    trigger TEXT NOT NULL CHECK (trigger IN ('awareness', 'classification', 'previous')),
    unit TEXT NOT NULL CHECK (unit IN ('hours', 'business_days', 'noon_next_business_day')),
    amount INTEGER NOT NULL CHECK (amount >= 0 AND amount <= 2000),
    remind_hours INTEGER NOT NULL CHECK (remind_hours >= 0 AND remind_hours <= 720),
    four_eyes BOOLEAN NOT NULL,
    CHECK (stage <> 'initial' OR trigger <> 'previous')
);
INSERT INTO incident_deadlines VALUES
    ('initial', 'classification', 'hours', 4, 0, FALSE),
    ('intermediate', 'previous', 'hours', 72, 12, TRUE),
    ('final', 'previous', 'business_days', 20, 72, TRUE);

CREATE TABLE incident_campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    firm_id BIGINT NOT NULL REFERENCES firms(id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'final', 'not_reportable')),
    stage TEXT CHECK (stage IN ('initial', 'intermediate', 'final')),
    kind TEXT NOT NULL,
    vector TEXT NOT NULL,
    period TEXT NOT NULL,
    accounts BIGINT NOT NULL,
    trades BIGINT NOT NULL,
    ongoing BOOLEAN NOT NULL,
    triage TEXT NOT NULL CHECK (triage IN ('received', 'assessing', 'more_information', 'accepted', 'closed')),
    initial_due_at TIMESTAMP,
    intermediate_due_at TIMESTAMP,
    final_due_at TIMESTAMP,
    next_due_at TIMESTAMP,
    reclassified_reason TEXT,
    reclassified_by BIGINT REFERENCES users(id),
    reclassified_at TIMESTAMP,
    campaign_id BIGINT REFERENCES incident_campaigns(id),
    opened_by BIGINT NOT NULL REFERENCES users(id),
    opened_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX incidents_firm ON incidents (firm_id, id);
CREATE INDEX incidents_firm_period ON incidents (firm_id, period);
CREATE INDEX incidents_next_due ON incidents (next_due_at);
CREATE INDEX incidents_opened ON incidents (opened_at);

CREATE TABLE incident_versions (
    id INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    version_no INTEGER NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('initial', 'intermediate', 'final')),
    document TEXT NOT NULL,
    submitted_by BIGINT NOT NULL REFERENCES users(id),
    submitted_at TIMESTAMP NOT NULL,
    sent_by_one BOOLEAN NOT NULL,
    due_at TIMESTAMP NOT NULL,
    on_time BOOLEAN NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('portal', 'api')),
    UNIQUE (incident_id, version_no)
);

CREATE TABLE incident_version_preparers (
    version_id BIGINT NOT NULL REFERENCES incident_versions(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (version_id, user_id)
);

CREATE TABLE incident_drafts (
    incident_id BIGINT PRIMARY KEY REFERENCES incidents(id),
    stage TEXT NOT NULL CHECK (stage IN ('initial', 'intermediate', 'final')),
    document TEXT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users(id),
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE incident_draft_editors (
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (incident_id, user_id)
);

CREATE TABLE incident_triage (
    id INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    state TEXT NOT NULL CHECK (state IN ('received', 'assessing', 'more_information', 'accepted', 'closed')),
    changed_by BIGINT NOT NULL REFERENCES users(id),
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX incident_triage_incident ON incident_triage (incident_id, id);

CREATE TABLE incident_messages (
    id INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    from_regulator BOOLEAN NOT NULL,
    firm_visible BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    CHECK (from_regulator OR firm_visible)
);
CREATE INDEX incident_messages_incident ON incident_messages (incident_id, id);

CREATE TABLE incident_notices (
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    stage TEXT NOT NULL CHECK (stage IN ('initial', 'intermediate', 'final')),
    kind TEXT NOT NULL CHECK (kind IN ('sent', 'before', 'passed')),
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (incident_id, stage, kind)
);
