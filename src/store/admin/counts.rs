//! The overview's numbers.

use crate::model::DeviceStatus;
use crate::model::time::UnixSecs;
use crate::store::{Result, Store, on_pool};

/// What the overview counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct DashboardCounts {
    /// Undecided and not expired.
    pub pending: i64,
    /// Approved and still collectable, or already exchanged for a token.
    pub approved: i64,
    pub denied: i64,
    /// Pending or approved when they expired (expiry is derived, not stored),
    /// until the daily cleanup deletes them.
    pub expired: i64,
    /// Neither revoked nor expired.
    pub active_tokens: i64,
    pub revoked_tokens: i64,
    pub users: i64,
    pub clients: i64,
}

impl Store {
    /// The overview's numbers at `now`.
    ///
    /// Pending codes, live and expired, are what a flood of device requests
    /// grows to millions, so they are not counted in SQL: they come from
    /// the store's in-memory count (`pending_counts.rs`), which holds this
    /// instance's own codes, issued and decided, at once and is recounted from
    /// the database every minute, so on PostgreSQL with several instances
    /// they may lag what the others did by up to a minute. Everything else
    /// is counted in SQL, each a range of an index (`(status, expires_at,
    /// id)` for the decided codes): approved, denied and redeemed codes
    /// exist only as people decide, and go a day after expiry.
    pub async fn dashboard_counts(&self, now: i64) -> Result<DashboardCounts> {
        let count = |status: DeviceStatus, expiry: &str| {
            format!(
                "(SELECT COUNT(*) FROM device_codes WHERE status = '{}'{expiry})",
                status.as_str()
            )
        };
        let sql = format!(
            "SELECT {} + {} AS approved, {} AS denied, {} AS expired, CAST(0 AS BIGINT) AS pending, \
             (SELECT COUNT(*) FROM access_tokens WHERE revoked_at IS NULL AND expires_at > $1) AS active_tokens, \
             (SELECT COUNT(*) FROM access_tokens WHERE revoked_at IS NOT NULL) AS revoked_tokens, \
             (SELECT COUNT(*) FROM users) AS users, \
             (SELECT COUNT(*) FROM oauth_clients) AS clients",
            count(DeviceStatus::Approved, " AND expires_at > $1"),
            count(DeviceStatus::Redeemed, ""),
            count(DeviceStatus::Denied, ""),
            count(DeviceStatus::Approved, " AND expires_at <= $1"),
        );
        let mut counts: DashboardCounts = on_pool!(self, pool => {
            sqlx::query_as(&sql)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        let now = UnixSecs(now);
        let memory = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        counts.pending = memory(self.live_pending_codes(now));
        counts.expired = counts
            .expired
            .saturating_add(memory(self.expired_pending_codes(now)));
        Ok(counts)
    }
}
