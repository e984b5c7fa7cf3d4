ALTER TABLE return_versions DROP COLUMN extension_ref;
DROP TABLE extensions;
