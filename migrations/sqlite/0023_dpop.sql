-- DPoP (RFC 9449): sender-constrained tokens. SQLite dialect; see
-- migrations/postgres for the twin.

-- The RFC 7638 thumbprint of the key a token is bound to (NULL: a bearer
-- token). On a refresh token it also says the grant started with DPoP, so
-- refreshing it needs a proof (of that same key for a public client).
-- On an authorization code it is the request's dpop_jkt (RFC 9449 §10).
ALTER TABLE access_tokens ADD COLUMN dpop_jkt TEXT;
ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt TEXT;
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;

-- The jti of every accepted DPoP proof, per key, kept until the proof's
-- acceptance window ends: inserting it first is what refuses a replayed
-- proof, at this instance or another one (RFC 9449 §11.1).
CREATE TABLE dpop_proofs (
    jkt        TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (jkt, jti)
);
CREATE INDEX dpop_proofs_expiry ON dpop_proofs (expires_at);
