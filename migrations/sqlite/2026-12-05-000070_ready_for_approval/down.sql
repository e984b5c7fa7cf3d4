ALTER TABLE returns DROP COLUMN ready_at;
ALTER TABLE returns DROP COLUMN ready_by;
ALTER TABLE returns DROP COLUMN ready_sha256;
