-- Remembered consent (OpenID Connect Core 1.0 §3.1.2.4): what each person
-- let each application have, so a later request within it skips the
-- consent page. PostgreSQL dialect; see migrations/sqlite for the twin.

-- One row per person and application. `scope` is the union of every scope
-- approved (space-separated); `granted_at` is the last approval that
-- changed it, `last_used_at` the last request it answered.
CREATE TABLE consents (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scope        TEXT NOT NULL,
    granted_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
-- /account lists a person's applications, most recently used first.
CREATE INDEX consents_user_last_used ON consents (user_id, last_used_at);
-- Deleting a client removes its rows (ON DELETE CASCADE looks them up).
CREATE INDEX consents_client ON consents (client_id);

-- Where an application may send a person after signing them out (OpenID
-- Connect RP-Initiated Logout 1.0 §3): matched exactly.
CREATE TABLE client_post_logout_redirect_uris (
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    uri       TEXT NOT NULL,
    PRIMARY KEY (client_id, uri)
);

-- The grants each client may use (RFC 7591 §2 values, space-separated).
-- Existing clients keep what they could do: the device grant and refresh
-- tokens, and the authorization code grant when they registered a
-- redirect URI.
ALTER TABLE oauth_clients ADD COLUMN grant_types TEXT NOT NULL
    DEFAULT 'urn:ietf:params:oauth:grant-type:device_code refresh_token';
UPDATE oauth_clients SET grant_types = grant_types || ' authorization_code'
    WHERE id IN (SELECT client_id FROM client_redirect_uris);
