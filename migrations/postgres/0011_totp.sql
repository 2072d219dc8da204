-- Time-based one-time passwords (RFC 6238) as a second sign-in factor:
-- at most one per person. migrations/sqlite has the twin.
--
-- `secret` is the shared key in base32. It cannot be hashed: verifying a
-- code needs the key itself (see src/model/totp.rs for how it is kept).
-- `confirmed_at` is NULL until the person typed a correct code; only a
-- confirmed factor is asked for at sign-in. `last_step` is the last
-- accepted time step (Unix time / 30): a step is accepted once, by one
-- guarded UPDATE ... WHERE last_step < $step, on every instance alike.
CREATE TABLE totp_factors (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_used_at BIGINT,
    last_step    BIGINT NOT NULL DEFAULT 0
);
