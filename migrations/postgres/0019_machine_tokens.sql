-- Access tokens of machine clients (the client credentials grant) belong
-- to no person: user_id becomes optional.
-- PostgreSQL dialect; see migrations/sqlite for the twin.
ALTER TABLE access_tokens ALTER COLUMN user_id DROP NOT NULL;
