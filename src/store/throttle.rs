//! Counters behind the brute-force defences, kept in the database so every
//! instance enforces the same limits.

use super::{Result, Store, on_pool};

impl Store {
    /// Until when `key` is locked out (Unix seconds), if it has failures.
    pub async fn login_locked_until(&self, key: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT locked_until FROM login_failures WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(t,)| t))
    }

    /// Counts one more failure for `key` (restarting the count when the
    /// previous failure is older than `forget_before`) and returns the new
    /// count.
    pub async fn record_login_failure(
        &self,
        key: &str,
        now: i64,
        forget_before: i64,
    ) -> Result<i64> {
        let (failures,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as(
                "INSERT INTO login_failures (key, failures, last_failure_at, locked_until) \
                 VALUES ($1, 1, $2, 0) \
                 ON CONFLICT (key) DO UPDATE SET \
                 failures = CASE WHEN login_failures.last_failure_at < $3 THEN 1 \
                                 ELSE login_failures.failures + 1 END, \
                 last_failure_at = $2 \
                 RETURNING failures",
            )
            .bind(key)
            .bind(now)
            .bind(forget_before)
            .fetch_one(pool)
            .await?
        });
        Ok(failures)
    }

    pub async fn lock_login(&self, key: &str, until: i64) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE login_failures SET locked_until = $1 WHERE key = $2")
                .bind(until)
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM login_failures WHERE key = $1")
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn delete_stale_login_failures(&self, before: i64) -> Result<u64> {
        let n = on_pool!(self, pool => {
            sqlx::query("DELETE FROM login_failures WHERE last_failure_at < $1 AND locked_until < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n)
    }

    /// How many audit events of `action` happened at or after `since`.
    pub async fn count_audit_events_since(&self, action: &str, since: i64) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE action = $1 AND at >= $2")
                .bind(action)
                .bind(since)
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }

    /// Pending device codes that have not expired at `now`.
    pub async fn count_live_pending_codes(&self, now: i64) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM device_codes WHERE status = 'pending' AND expires_at > $1")
                .bind(now)
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }
}
