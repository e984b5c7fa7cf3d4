ALTER TABLE return_versions DROP COLUMN nil_explanation;
ALTER TABLE return_versions DROP COLUMN nil_warnings;
