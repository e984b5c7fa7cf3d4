ALTER TABLE publications DROP COLUMN contributors_json;
ALTER TABLE publications DROP COLUMN audit_json;
