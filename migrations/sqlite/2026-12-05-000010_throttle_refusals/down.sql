ALTER TABLE auth_throttle DROP COLUMN refused_since;
ALTER TABLE auth_throttle DROP COLUMN refused;
