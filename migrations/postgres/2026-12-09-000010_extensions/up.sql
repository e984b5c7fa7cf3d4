-- Deadline extensions: a firm's approver asks for a later due date for one
-- month (with a reason); an analyst or admin grants it (possibly another
-- date) or refuses it with a reason. A granted date is the month's due
-- date from then on (reminders, board, completeness, the firm's list) and
-- is frozen on the version filed under it with the extension's reference
-- (`extension_ref`: EXT-, the year asked in Tokyo and the id, e.g.
-- EXT-2025-000123). One open request per firm and
-- month at a time (the partial unique index); a decided request is never
-- decided again. Keep in step with the other backend.
CREATE TABLE extensions (
    id BIGSERIAL PRIMARY KEY,
    firm_id BIGINT NOT NULL REFERENCES firms(id),
    period TEXT NOT NULL,
    due_before DATE NOT NULL,
    requested_due DATE NOT NULL,
    reason TEXT NOT NULL,
    requested_by BIGINT NOT NULL REFERENCES users(id),
    requested_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'granted', 'refused')),
    granted_due DATE,
    decision_reason TEXT,
    decided_by BIGINT REFERENCES users(id),
    decided_at TIMESTAMP,
    CHECK (requested_due > due_before),
    CHECK ((status = 'pending') = (decided_by IS NULL)),
    CHECK ((status = 'granted') = (granted_due IS NOT NULL)),
    CHECK (status <> 'refused' OR decision_reason IS NOT NULL)
);
CREATE UNIQUE INDEX extensions_one_open ON extensions (firm_id, period) WHERE status = 'pending';
CREATE INDEX extensions_firm_period ON extensions (firm_id, period, status);
CREATE INDEX extensions_status ON extensions (status, requested_at);

ALTER TABLE return_versions ADD COLUMN extension_ref TEXT;
