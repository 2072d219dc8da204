-- AuthGate schema, PostgreSQL dialect. Ids are text, times are integer Unix
-- seconds (last_poll_at_ms: milliseconds), booleans are BOOLEAN, so the
-- same query text runs on PostgreSQL (see migrations/sqlite).

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE oauth_clients (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    -- NULL for public clients; a SHA-256 hex digest for confidential ones.
    secret_hash    TEXT,
    allowed_scopes TEXT NOT NULL,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE device_codes (
    id               TEXT PRIMARY KEY,
    device_code_hash TEXT NOT NULL UNIQUE,
    user_code        TEXT NOT NULL UNIQUE,
    client_id        TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scope            TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'redeemed')),
    user_id          TEXT REFERENCES users (id) ON DELETE CASCADE,
    interval_secs    BIGINT NOT NULL,
    last_poll_at_ms  BIGINT,
    poll_grace_used  BOOLEAN NOT NULL DEFAULT FALSE,
    requester_ip     TEXT,
    user_agent       TEXT,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    decided_at       BIGINT,
    redeemed_at      BIGINT
);
CREATE INDEX device_codes_expires_at ON device_codes (expires_at);
CREATE INDEX device_codes_status_created ON device_codes (status, created_at);
CREATE INDEX device_codes_client ON device_codes (client_id);

CREATE TABLE access_tokens (
    jti            TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scope          TEXT NOT NULL,
    device_code_id TEXT REFERENCES device_codes (id) ON DELETE SET NULL,
    issued_at      BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);
CREATE INDEX access_tokens_user ON access_tokens (user_id);
CREATE INDEX access_tokens_client ON access_tokens (client_id);
CREATE INDEX access_tokens_device_code ON access_tokens (device_code_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);
