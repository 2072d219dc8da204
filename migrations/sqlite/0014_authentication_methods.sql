-- How each approval was authenticated, and who must use a second factor.
-- SQLite dialect; see migrations/postgres for the twin.

-- RFC 8176 methods of the sign-in behind an approval, space-separated
-- (`pwd otp mfa`), carried from the approval to the grant so ID tokens,
-- refreshes and introspection report them. NULL (rows from before) reads
-- as a password.
ALTER TABLE device_codes ADD COLUMN amr TEXT;
ALTER TABLE authorization_codes ADD COLUMN amr TEXT;
ALTER TABLE grants ADD COLUMN amr TEXT;

-- An administrator's requirement: this person must use a second factor
-- (and enrol one at their next sign-in if they have none).
ALTER TABLE users ADD COLUMN require_second_factor INTEGER NOT NULL DEFAULT 0;
-- Approving this client's requests needs a second factor used recently.
ALTER TABLE oauth_clients ADD COLUMN require_second_factor INTEGER NOT NULL DEFAULT 0;
