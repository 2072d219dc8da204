-- Access tokens of machine clients (the client credentials grant) belong
-- to no person: user_id becomes optional. SQLite cannot drop NOT NULL in
-- place, so the table is rebuilt with the same columns and indexes (on a
-- large database this copies every token once, at the upgrade).
-- SQLite dialect; see migrations/postgres for the twin.

CREATE TABLE access_tokens_new (
    jti            TEXT PRIMARY KEY,
    user_id        TEXT REFERENCES users (id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scope          TEXT NOT NULL,
    device_code_id TEXT REFERENCES device_codes (id) ON DELETE SET NULL,
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    grant_id       TEXT REFERENCES grants (id) ON DELETE CASCADE
);
INSERT INTO access_tokens_new
    (jti, user_id, client_id, scope, device_code_id, issued_at, expires_at, revoked_at, grant_id)
    SELECT jti, user_id, client_id, scope, device_code_id, issued_at, expires_at, revoked_at, grant_id
    FROM access_tokens;
DROP TABLE access_tokens;
ALTER TABLE access_tokens_new RENAME TO access_tokens;
CREATE INDEX access_tokens_device_code ON access_tokens (device_code_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);
CREATE INDEX access_tokens_grant ON access_tokens (grant_id);
CREATE INDEX access_tokens_issued ON access_tokens (issued_at, jti);
CREATE INDEX access_tokens_user_issued ON access_tokens (user_id, issued_at, jti);
CREATE INDEX access_tokens_client_issued ON access_tokens (client_id, issued_at, jti);
CREATE INDEX access_tokens_revoked ON access_tokens (revoked_at, expires_at);
