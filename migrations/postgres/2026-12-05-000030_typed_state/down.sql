-- Undoes the typed-state CHECKs.
ALTER TABLE sessions DROP CONSTRAINT sessions_stage_known;
ALTER TABLE returns DROP CONSTRAINT returns_state_known;
ALTER TABLE return_versions DROP CONSTRAINT return_versions_status_known;
ALTER TABLE publications DROP CONSTRAINT publications_status_known;
ALTER TABLE version_details DROP CONSTRAINT version_details_compensation_policy_known;
ALTER TABLE settings DROP CONSTRAINT settings_totp_staff_known;
ALTER TABLE settings DROP CONSTRAINT settings_totp_firms_until_known;
