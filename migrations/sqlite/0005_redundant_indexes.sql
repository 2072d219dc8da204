-- Indexes that a longer index already serves: each starts the index named
-- beside it, which answers the same lookups (and the foreign-key deletes
-- of users and clients). Every token issued and every audit event wrote
-- an entry into each of them for nothing.
DROP INDEX IF EXISTS access_tokens_user;   -- access_tokens_user_issued (user_id, issued_at, jti)
DROP INDEX IF EXISTS access_tokens_client; -- access_tokens_client_issued (client_id, issued_at, jti)
DROP INDEX IF EXISTS audit_events_at;      -- audit_events_at_id (at, id)
