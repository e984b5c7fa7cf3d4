DROP TABLE api_idempotency_quota;
DROP TABLE api_idempotency;
