-- The filing API's idempotency keys (services::idempotency): one row per
-- API client and key, holding which request it was for and, once
-- answered, the answer to replay. `status` is NULL while the first request
-- is still running. Rows expire 24 hours after `created_at` and are pruned
-- in bounded batches. `api_idempotency_quota` counts each client's rows, so
-- a new key beyond the client's limit is refused by one conditional UPDATE.
-- `client_id` is the API client's row id (no foreign key: the clients'
-- table is another migration's; a deleted client's keys simply expire).
-- Keep in step with the other backend.
CREATE TABLE api_idempotency (
    id BIGSERIAL PRIMARY KEY,
    client_id BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    method_and_path TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    status INTEGER CHECK (status IS NULL OR (status >= 200 AND status < 500)),
    content_type TEXT,
    body TEXT,
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    UNIQUE (client_id, idempotency_key),
    CHECK ((status IS NULL) = (body IS NULL)),
    CHECK ((status IS NULL) = (content_type IS NULL))
);
CREATE INDEX api_idempotency_expiry ON api_idempotency (created_at);
CREATE INDEX api_idempotency_client_expiry ON api_idempotency (client_id, created_at);

CREATE TABLE api_idempotency_quota (
    client_id BIGINT PRIMARY KEY,
    keys_held BIGINT NOT NULL CHECK (keys_held >= 0)
);
