-- Passkeys (WebAuthn credentials) for signing in and as a second step.
-- migrations/postgres has the twin.
--
-- `credential` is webauthn-rs's `Passkey` as JSON: the public key, the
-- signature counter and the backup flags. It holds no secret (the private
-- key never leaves the authenticator). `credential_id` is the
-- authenticator's credential id in base64url, unique across all users:
-- a discoverable sign-in finds its row by it. `sign_count` mirrors the
-- counter so the update after a use can be guarded in SQL: a use is
-- recorded only if its counter moved forward (or the authenticator keeps
-- none, 0).
CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    credential    TEXT NOT NULL,
    sign_count    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX passkeys_by_user ON passkeys (user_id, created_at);

-- Challenges of finished passkey ceremonies, kept until they expire: the
-- ceremony's state lives in the browser's session, and inserting its
-- challenge here first is what makes one assertion count once even when
-- it is sent twice at the same moment, to one instance or several.
CREATE TABLE passkey_challenges (
    challenge  TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
