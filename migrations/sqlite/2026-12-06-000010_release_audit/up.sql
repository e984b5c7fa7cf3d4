-- The interval audit of each release, kept with it (for admins only, never
-- published), and the filings each release was computed from: the version
-- of each firm-month in effect at its cut-off, so that a later release is
-- audited together with it (linked vintages). Releases made before this
-- column existed have none: the audit takes for them the versions now
-- accepted and submitted by their cut-off (what their table was computed
-- from, unless a version was reviewed after it was released).
ALTER TABLE publications ADD COLUMN audit_json TEXT;
ALTER TABLE publications ADD COLUMN contributors_json TEXT;
