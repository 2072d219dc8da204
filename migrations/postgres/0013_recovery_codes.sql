-- Recovery codes: single-use codes a person with two-step sign-in keeps
-- for the day their authenticator is lost. migrations/sqlite has the twin.
--
-- Only an Argon2id hash of each code is kept (`code_hash`, a PHC string
-- with its own salt; see src/model/recovery.rs). A code is used once: one
-- guarded UPDATE ... SET used_at = $1 WHERE id = $2 AND used_at IS NULL,
-- zero rows changed meaning another request used it first. A new set
-- replaces the old one; turning two-step sign-in off removes the set.
CREATE TABLE recovery_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT
);
-- A person's codes are read together (sign-in, /account, the admin page).
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- Bumped to end every browser session of a person at once (an
-- administrator resetting their two-step sign-in): a session remembers
-- the value it signed in under, as it remembers the password's
-- fingerprint, and is void once either changed.
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
