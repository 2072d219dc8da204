-- Grants (a user's approval of a client), refresh tokens, signing keys and
-- the audit log. SQLite dialect; see migrations/postgres for the twin.

-- One row per approval that produced tokens: what /account lists and what
-- revoking an application revokes. Access and refresh tokens belong to one.
CREATE TABLE grants (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scope          TEXT NOT NULL,
    device_code_id TEXT REFERENCES device_codes (id) ON DELETE SET NULL,
    device_label   TEXT,
    requester_ip   TEXT,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER NOT NULL,
    revoked_at     INTEGER
);
CREATE INDEX grants_user ON grants (user_id, revoked_at);
CREATE INDEX grants_client ON grants (client_id);

ALTER TABLE access_tokens ADD COLUMN grant_id TEXT REFERENCES grants (id) ON DELETE CASCADE;
CREATE INDEX access_tokens_grant ON access_tokens (grant_id);

ALTER TABLE oauth_clients ADD COLUMN refresh_tokens INTEGER NOT NULL DEFAULT 1;

-- Opaque refresh tokens, stored only as SHA-256. Rotation marks the old one
-- consumed; presenting a consumed one revokes the whole grant.
CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    grant_id    TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope       TEXT NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Token signing keys. The newest unretired key of the configured algorithm
-- signs; retired keys stay published until their tokens have expired.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_der TEXT NOT NULL,
    public_jwk  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);

CREATE TABLE audit_events (
    id        TEXT PRIMARY KEY,
    at        INTEGER NOT NULL,
    action    TEXT NOT NULL,
    actor     TEXT,
    client_id TEXT,
    target    TEXT,
    ip        TEXT,
    detail    TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_action ON audit_events (action, at);
