DROP TABLE api_tokens;
DROP TABLE api_assertions;
DROP TABLE api_client_keys;
DROP TABLE api_clients;
