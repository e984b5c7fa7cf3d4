UPDATE publications
SET status = 'draft', released_at = NULL, table_json = NULL, csv_en = NULL,
    csv_ja = NULL, sha256_en = NULL, sha256_ja = NULL, audit_json = NULL,
    contributors_json = NULL
WHERE status = 'scheduled';
ALTER TABLE publications DROP CONSTRAINT publications_status_known;
ALTER TABLE publications ADD CONSTRAINT publications_status_known
    CHECK (status IN ('draft', 'released'));
