-- The admin device-code listing pages by keyset on (expires_at, id) within
-- each status (migrations/postgres has the twin). Expiry, not request time,
-- orders it: it is request time plus the one DEVICE_CODE_EXPIRATION, and it
-- is what tells a live code from an expired one, so every state the admin
-- filters by (pending, approved, denied, redeemed, expired) is one or two
-- index ranges. The longer indexes replace the ones they start with; status
-- lookups (the overview's counts, the pending recount) use them too.
DROP INDEX IF EXISTS device_codes_status_created;
DROP INDEX IF EXISTS device_codes_client;
CREATE INDEX device_codes_status_expiry ON device_codes (status, expires_at, id);
CREATE INDEX device_codes_client_status_expiry ON device_codes (client_id, status, expires_at, id);
