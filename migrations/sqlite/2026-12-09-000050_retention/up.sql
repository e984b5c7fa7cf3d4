-- Retention of personal data and narratives: the daily job's claim (one
-- row; an instance runs the day's purge only if its conditional update of
-- last_day took effect, so across instances it runs once a day) and the
-- legal holds that suspend it for a firm (at most one in force per firm;
-- lifted holds are kept). The retention itself (years after the month)
-- is the setting retention_years. Keep in step with the other backend.
CREATE TABLE retention_runs (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_day TEXT NOT NULL,
    last_run_at TIMESTAMP,
    last_purged BIGINT NOT NULL CHECK (last_purged >= 0)
);
INSERT INTO retention_runs (id, last_day, last_run_at, last_purged) VALUES (1, '', NULL, 0);

CREATE TABLE legal_holds (
    id INTEGER PRIMARY KEY,
    firm_id BIGINT NOT NULL REFERENCES firms(id),
    reason TEXT NOT NULL CHECK (reason <> ''),
    placed_by BIGINT NOT NULL REFERENCES users(id),
    placed_at TIMESTAMP NOT NULL,
    lifted_by BIGINT REFERENCES users(id),
    lifted_at TIMESTAMP,
    CHECK ((lifted_by IS NULL) = (lifted_at IS NULL))
);
CREATE UNIQUE INDEX legal_holds_in_force ON legal_holds (firm_id) WHERE lifted_at IS NULL;
CREATE INDEX legal_holds_firm ON legal_holds (firm_id, id);
