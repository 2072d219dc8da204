-- Dynamic client registration (RFC 7591, RFC 7592) with an administrator's
-- approval. PostgreSQL dialect; see migrations/sqlite for the twin.

-- Whether a client may be used: 'approved' (every client an administrator
-- made, and every client from before this migration), 'pending' (registered
-- itself, waiting for an administrator) or 'rejected'.
ALTER TABLE oauth_clients ADD COLUMN status TEXT NOT NULL DEFAULT 'approved'
    CHECK (status IN ('pending', 'approved', 'rejected'));
CREATE INDEX oauth_clients_status ON oauth_clients (status);

-- How a client registered itself: the SHA-256 of its registration access
-- token (RFC 7592 §3), who asked, and the metadata as registered (JSON).
CREATE TABLE client_registrations (
    client_id         TEXT PRIMARY KEY REFERENCES oauth_clients (id) ON DELETE CASCADE,
    access_token_hash TEXT NOT NULL,
    requester_ip      TEXT,
    user_agent        TEXT,
    metadata          TEXT NOT NULL,
    registered_at     BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
