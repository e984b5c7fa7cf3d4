-- API clients: a firm's systems (or the regulator's own, firm_id NULL) that
-- call the filing API with a token got by the client-credentials grant and a
-- signed assertion (RFC 7523). A client is registered by one person and made
-- active by a second; it has one or two public keys (two during a
-- rotation: at most two un-retired keys per client, held by the partial
-- unique index on `slot`); each assertion id is used once (the primary key
-- refuses a replay, across instances); the access tokens are kept as
-- SHA-256 hashes only. Keep in step with the other backend.
CREATE TABLE api_clients (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    firm_id BIGINT REFERENCES firms(id),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended')),
    scopes TEXT NOT NULL,
    registered_by BIGINT NOT NULL REFERENCES users(id),
    registered_at TIMESTAMP NOT NULL,
    confirmed_by BIGINT REFERENCES users(id),
    confirmed_at TIMESTAMP,
    suspended_by BIGINT REFERENCES users(id),
    suspended_at TIMESTAMP,
    last_token_at TIMESTAMP
);
CREATE INDEX api_clients_firm ON api_clients (firm_id, id);

CREATE TABLE api_client_keys (
    id INTEGER PRIMARY KEY,
    client_id BIGINT NOT NULL REFERENCES api_clients(id),
    kid TEXT NOT NULL,
    alg TEXT NOT NULL CHECK (alg IN ('ES256', 'EdDSA')),
    public_jwk TEXT NOT NULL,
    slot INTEGER NOT NULL CHECK (slot IN (1, 2)),
    added_by BIGINT NOT NULL REFERENCES users(id),
    added_at TIMESTAMP NOT NULL,
    retired_by BIGINT REFERENCES users(id),
    retired_at TIMESTAMP,
    UNIQUE (client_id, kid)
);
CREATE UNIQUE INDEX api_client_keys_live ON api_client_keys (client_id, slot)
    WHERE retired_at IS NULL;

CREATE TABLE api_assertions (
    client_id BIGINT NOT NULL REFERENCES api_clients(id),
    jti TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX api_assertions_expiry ON api_assertions (client_id, expires_at);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    client_id BIGINT NOT NULL REFERENCES api_clients(id),
    key_id BIGINT NOT NULL REFERENCES api_client_keys(id),
    scopes TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX api_tokens_client ON api_tokens (client_id, expires_at);
