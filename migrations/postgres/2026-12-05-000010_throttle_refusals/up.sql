-- Refused sign-in attempts are counted on the throttle row and written to
-- the audit trail as one row per key per window (services::throttle), not
-- one row per refusal. Keep in step with the other backend.
ALTER TABLE auth_throttle ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE auth_throttle ADD COLUMN refused_since TIMESTAMP;
