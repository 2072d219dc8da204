-- Sign-in for apps: the authorization code grant (RFC 6749 §4.1) with
-- PKCE (RFC 7636). SQLite dialect; see migrations/postgres for the twin.

-- The redirect URIs each client registered (RFC 6749 §3.1.2.2): the only
-- places an authorization response may be sent.
CREATE TABLE client_redirect_uris (
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    uri       TEXT NOT NULL,
    PRIMARY KEY (client_id, uri)
);

-- Authorization codes, stored only as SHA-256. A code is issued when a
-- person approves an application and redeemed once; a second use revokes
-- the grant the first produced (grant_id). Expiry is never a status.
CREATE TABLE authorization_codes (
    id                 TEXT PRIMARY KEY,
    code_hash          TEXT NOT NULL UNIQUE,
    client_id          TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri       TEXT NOT NULL,
    redirect_uri_given INTEGER NOT NULL,
    scope              TEXT NOT NULL,
    code_challenge     TEXT,
    nonce              TEXT,
    auth_time          INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('issued', 'redeemed')),
    redeemed_at        INTEGER,
    grant_id           TEXT
);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);
CREATE INDEX authorization_codes_client ON authorization_codes (client_id);
CREATE INDEX authorization_codes_user ON authorization_codes (user_id);
