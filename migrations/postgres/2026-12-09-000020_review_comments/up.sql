-- Review threads: regulator staff comment on a version, section by
-- section, each comment internal (staff only) or visible to the firm. A
-- firm-visible comment is drafted (sent_at NULL) until the review is sent
-- with the other drafts; an internal comment is sent when written. The
-- firm answers a sent comment (answered_at: its latest answer); only staff
-- resolve. The comments of every version of a return form the return's
-- thread. Keep in step with the other backend.
CREATE TABLE review_comments (
    id BIGSERIAL PRIMARY KEY,
    version_id BIGINT NOT NULL REFERENCES return_versions(id),
    section TEXT NOT NULL CHECK (section IN ('general', 'figures', 'markets', 'vectors', 'losses', 'remediation', 'narrative', 'trades')),
    author_id BIGINT NOT NULL REFERENCES users(id),
    firm_visible BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    answered_at TIMESTAMP,
    resolved_at TIMESTAMP,
    resolved_by BIGINT REFERENCES users(id),
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL)),
    CHECK (firm_visible OR sent_at IS NOT NULL),
    CHECK (answered_at IS NULL OR (firm_visible AND sent_at IS NOT NULL))
);
CREATE INDEX review_comments_version ON review_comments (version_id, id);

CREATE TABLE review_answers (
    id BIGSERIAL PRIMARY KEY,
    comment_id BIGINT NOT NULL REFERENCES review_comments(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL
);
CREATE INDEX review_answers_comment ON review_answers (comment_id, id);
