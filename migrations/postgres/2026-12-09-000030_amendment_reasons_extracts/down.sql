ALTER TABLE users DROP COLUMN export_right;
DROP TABLE version_amendments;
