-- Clients that authenticate with a signed JWT (RFC 7523, private_key_jwt)
-- instead of a secret. PostgreSQL dialect; see migrations/sqlite for the twin.

-- The client's public keys: a JWK Set as registered (jwks), or where it
-- is published (jwks_uri). At most one is set; with either, the client is
-- confidential without a secret.
ALTER TABLE oauth_clients ADD COLUMN jwks TEXT;
ALTER TABLE oauth_clients ADD COLUMN jwks_uri TEXT;

-- The jti of every accepted client assertion, kept until the assertion
-- expires: inserting it first is what refuses the same assertion a second
-- time, at this instance or another one.
CREATE TABLE client_assertions (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX client_assertions_expiry ON client_assertions (expires_at);
