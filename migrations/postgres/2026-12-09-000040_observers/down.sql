-- Observers removed: their scopes, their users and what hangs off them,
-- then the role.
DROP INDEX audit_events_actor_action;
DROP TABLE observer_scope_firms;
DROP TABLE observer_scopes;
DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE role = 'observer');
DELETE FROM auth_tokens WHERE user_id IN (SELECT id FROM users WHERE role = 'observer');
DELETE FROM passkeys WHERE user_id IN (SELECT id FROM users WHERE role = 'observer');
DELETE FROM recovery_codes WHERE user_id IN (SELECT id FROM users WHERE role = 'observer');
DELETE FROM webauthn_states WHERE user_id IN (SELECT id FROM users WHERE role = 'observer');
DELETE FROM users WHERE role = 'observer';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('reporter', 'approver', 'analyst', 'admin'));
