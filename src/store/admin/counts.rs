//! The overview's numbers.

use crate::model::Standing;
use crate::model::time::UnixSecs;
use crate::store::device_codes::standing_sql;
use crate::store::{Backend, Result, Store, on_pool};

/// What the overview counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct DashboardCounts {
    /// Undecided and not expired.
    pub pending: i64,
    /// Approved and still collectable, or already exchanged for a token.
    pub approved: i64,
    pub denied: i64,
    /// Pending or approved when they expired (expiry is derived, not stored).
    pub expired: i64,
    /// Neither revoked nor expired.
    pub active_tokens: i64,
    pub revoked_tokens: i64,
    pub users: i64,
    pub clients: i64,
}

impl Store {
    /// The overview's numbers at `now`. On SQLite (one instance by design)
    /// the live pending codes come from the store's exact in-memory count
    /// (see `pending_counts.rs`) rather than a count over what may be a
    /// million rows; on PostgreSQL other instances issue codes too, so the
    /// database counts them.
    pub async fn dashboard_counts(&self, now: i64) -> Result<DashboardCounts> {
        let from_memory = self.backend() == Backend::Sqlite;
        let count = |standing| {
            format!(
                "(SELECT COUNT(*) FROM device_codes WHERE {})",
                standing_sql(standing, "", "$1")
            )
        };
        let sql = format!(
            "SELECT {} AS pending, {} AS approved, {} AS denied, {} AS expired, \
             (SELECT COUNT(*) FROM access_tokens WHERE revoked_at IS NULL AND expires_at > $1) AS active_tokens, \
             (SELECT COUNT(*) FROM access_tokens WHERE revoked_at IS NOT NULL) AS revoked_tokens, \
             (SELECT COUNT(*) FROM users) AS users, \
             (SELECT COUNT(*) FROM oauth_clients) AS clients",
            if from_memory {
                "0".to_owned()
            } else {
                count(Standing::Pending)
            },
            count(Standing::Approved),
            count(Standing::Denied),
            count(Standing::Expired)
        );
        let mut counts: DashboardCounts = on_pool!(self, pool => {
            sqlx::query_as(&sql)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        if from_memory {
            counts.pending =
                i64::try_from(self.live_pending_codes(UnixSecs(now))).unwrap_or(i64::MAX);
        }
        Ok(counts)
    }
}
