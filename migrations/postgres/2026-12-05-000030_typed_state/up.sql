-- Typed state: stored session stages, return states, version statuses,
-- publication statuses, compensation policies and the sign-in policy
-- settings may hold only the values the code's enums name (users.role has
-- had its CHECK since the foundation).
ALTER TABLE sessions ADD CONSTRAINT sessions_stage_known CHECK (stage IN ('second_factor', 'enrol', 'full'));
ALTER TABLE returns ADD CONSTRAINT returns_state_known CHECK (state IN ('draft', 'submitted', 'accepted', 'returned'));
ALTER TABLE return_versions ADD CONSTRAINT return_versions_status_known CHECK (status IN ('submitted', 'accepted', 'returned'));
ALTER TABLE publications ADD CONSTRAINT publications_status_known CHECK (status IN ('draft', 'released'));
ALTER TABLE version_details ADD CONSTRAINT version_details_compensation_policy_known CHECK (compensation_policy IN ('full', 'partial', 'considering'));
ALTER TABLE settings ADD CONSTRAINT settings_totp_staff_known CHECK (key <> 'totp_staff' OR value IN ('allowed', 'forbidden'));
ALTER TABLE settings ADD CONSTRAINT settings_totp_firms_until_known CHECK (key <> 'totp_firms_until' OR value = '' OR value LIKE '____-__-__');
