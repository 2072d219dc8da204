-- OpenID Connect: what a user's ID token and UserInfo may say about them
-- (OpenID Connect Core §5.1), and the device grant's PKCE challenge and
-- sign-in time. SQLite dialect; see migrations/postgres for the twin.

-- The e-mail address is verified only when an administrator says so;
-- changing it clears the flag (the store does, in the same statement).
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN name TEXT;

-- RFC 7636 on the device grant: the S256 challenge given with the device
-- authorization request, checked when the device code is redeemed.
ALTER TABLE device_codes ADD COLUMN code_challenge TEXT;
-- When the person who approved signed in: the ID token's auth_time.
ALTER TABLE device_codes ADD COLUMN auth_time INTEGER;

-- When the person behind a grant signed in: a refreshed ID token carries
-- the same auth_time (OpenID Connect Core §12.2). Older grants have none
-- (their creation time stands in).
ALTER TABLE grants ADD COLUMN auth_time INTEGER;
