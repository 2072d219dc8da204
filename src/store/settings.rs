//! Key-value settings the server keeps for itself (generated secrets, the
//! seeded CLI client id) and the few an administrator sets at run time
//! (whether everyone must use a second factor).

use super::{Result, Store, on_pool};

impl Store {
    pub async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        let value: Option<(String,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        });
        Ok(value.map(|(v,)| v))
    }

    /// Stores `value` under `key`, replacing what was there.
    pub async fn set_setting(&self, key: &str, value: &str, now: i64) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                 updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(value)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Stores `value` under `key` unless a value is already there, and
    /// returns whichever value is stored afterwards. Two instances starting
    /// at once on one database therefore agree on a single generated secret.
    pub async fn setting_or_insert(&self, key: &str, value: &str, now: i64) -> Result<String> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(value)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(self
            .get_setting(key)
            .await?
            .unwrap_or_else(|| value.to_owned()))
    }
}
