-- Sign-in through upstream OpenID Connect providers. migrations/postgres has
-- the twin.
--
-- `client_secret` is kept as given: the code exchange must present it to
-- the provider, so it cannot be hashed (like a TOTP key; no page or
-- command shows it again after it is saved). `scopes` and
-- `allowed_domains` are space-separated lists. The *_claim columns name
-- the ID token claims read for the username, e-mail and display name.
CREATE TABLE upstream_providers (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    label           TEXT NOT NULL,
    issuer          TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    client_secret   TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    username_claim  TEXT NOT NULL DEFAULT 'preferred_username',
    email_claim     TEXT NOT NULL DEFAULT 'email',
    name_claim      TEXT NOT NULL DEFAULT 'name',
    create_accounts INTEGER NOT NULL DEFAULT 0,
    allowed_domains TEXT NOT NULL DEFAULT '',
    trust_email     INTEGER NOT NULL DEFAULT 0,
    enabled         INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL
);

-- Which local account an upstream account (provider, `sub`) signs in to:
-- OpenID Connect Core §2 makes `sub` unique and stable per issuer, so
-- the pair is the key (never the e-mail, which can change hands).
CREATE TABLE upstream_identities (
    provider_id  TEXT NOT NULL REFERENCES upstream_providers (id) ON DELETE CASCADE,
    subject      TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    PRIMARY KEY (provider_id, subject)
);
CREATE INDEX upstream_identities_user ON upstream_identities (user_id);

-- Sign-ins sent to a provider and not back yet, by the SHA-256 of their
-- `state`: taken by one DELETE ... RETURNING, so a callback is accepted
-- once, on whichever instance it reaches. The PKCE verifier and nonce
-- live only until the callback (at most 10 minutes).
CREATE TABLE upstream_sign_ins (
    state_hash    TEXT PRIMARY KEY,
    provider_id   TEXT NOT NULL REFERENCES upstream_providers (id) ON DELETE CASCADE,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next          TEXT NOT NULL,
    expires_at    INTEGER NOT NULL
);
