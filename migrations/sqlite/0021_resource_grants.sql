-- RFC 8707 resource indicators on the grants a person approves: the
-- resources (APIs) a device request or an authorization request named,
-- kept with the code, then with the grant its redemption makes (what a
-- refresh may narrow to), and with a remembered consent (what it covers).
-- Space-separated absolute URIs; '' = none (the issuer is the audience).
-- SQLite dialect; see migrations/postgres for the twin.
ALTER TABLE device_codes ADD COLUMN resources TEXT NOT NULL DEFAULT '';
ALTER TABLE authorization_codes ADD COLUMN resources TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN resources TEXT NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN resources TEXT NOT NULL DEFAULT '';
