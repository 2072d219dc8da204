-- What kind of provider an upstream provider is: `oidc` (OpenID Connect,
-- discovered from its issuer) or `github` (GitHub's OAuth 2 and its REST
-- API, which have no ID token). migrations/sqlite has the twin.
ALTER TABLE upstream_providers ADD COLUMN kind TEXT NOT NULL DEFAULT 'oidc';
