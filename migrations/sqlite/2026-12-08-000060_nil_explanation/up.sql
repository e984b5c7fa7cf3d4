-- A nil return filed over a month in which the firm reported incidents
-- must say why (rule RET-W006): the warnings that fired and the
-- explanation, kept on the version (a nil version has no details row).
ALTER TABLE return_versions ADD COLUMN nil_warnings TEXT NOT NULL DEFAULT '';
ALTER TABLE return_versions ADD COLUMN nil_explanation TEXT NOT NULL DEFAULT '';
