-- RFC 8707 resource indicators: the resources (APIs) each client may ask
-- tokens for, space-separated absolute URIs ('' = none), and the audience
-- an access token was issued for ('' = the issuer, as before).
-- PostgreSQL dialect; see migrations/sqlite for the twin.
ALTER TABLE oauth_clients ADD COLUMN resources TEXT NOT NULL DEFAULT '';
ALTER TABLE access_tokens ADD COLUMN audience TEXT NOT NULL DEFAULT '';
