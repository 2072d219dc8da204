-- The admin dashboard (postgres dialect; see migrations/sqlite for the twin).
-- Listings page by keyset on (time, id), newest first, so a page is an
-- index range scan however many rows there are (100,000 tokens and more);
-- the composite indexes replace the single-column ones they start with.

DROP INDEX access_tokens_user;
DROP INDEX access_tokens_client;
CREATE INDEX access_tokens_issued ON access_tokens (issued_at, jti);
CREATE INDEX access_tokens_user_issued ON access_tokens (user_id, issued_at, jti);
CREATE INDEX access_tokens_client_issued ON access_tokens (client_id, issued_at, jti);
-- Active (revoked_at IS NULL AND expires_at > now) and revoked counts of the
-- overview, answered from the index alone.
CREATE INDEX access_tokens_revoked ON access_tokens (revoked_at, expires_at);

-- Revoking every token of a user or of a client.
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);

-- The audit log: pages by (at, id), filters by who acted, and retention
-- (AUDIT_RETENTION) deletes by time.
DROP INDEX audit_events_at;
CREATE INDEX audit_events_at_id ON audit_events (at, id);
CREATE INDEX audit_events_actor ON audit_events (actor, at);
