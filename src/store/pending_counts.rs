//! Pending device codes per client, counted in memory, so a device request
//! can be held to `MAX_PENDING_CODES_PER_CLIENT`, and the admin overview can
//! show the live and the expired ones, without a `COUNT(*)` over a table
//! that an attacker may be growing.
//!
//! Each client's codes are counted by expiry second: a code issued here
//! adds one, a code decided here takes one away, and the seconds up to now
//! are the codes that expired undecided (the admin overview's "expired",
//! until the daily cleanup deletes them). The database is the truth: the
//! counts are read from it at start-up and again every minute
//! ([`Store::recount_pending_codes`]),
//! which also brings in what other instances issued and decided. Between two
//! recounts an instance sees only its own changes, so with several
//! instances the ceiling can be passed by what the others issue within a
//! minute; a code decided elsewhere is still counted here until the next
//! recount or its expiry (the ceiling errs on the side of refusing).

use std::collections::BTreeMap;

use dashmap::DashMap;

use super::{Result, Store, on_pool};
use crate::model::time::UnixSecs;
use crate::model::{DeviceCode, DeviceStatus};

/// Pending codes by client, then by expiry second.
#[derive(Debug, Default)]
pub(super) struct PendingCounts {
    clients: DashMap<String, BTreeMap<i64, u64>>,
}

impl PendingCounts {
    pub(super) fn issued(&self, client_id: &str, expires_at: UnixSecs) {
        *self
            .clients
            .entry(client_id.to_owned())
            .or_default()
            .entry(expires_at.0)
            .or_default() += 1;
    }

    pub(super) fn decided(&self, code: &DeviceCode) {
        if let Some(mut by_expiry) = self.clients.get_mut(code.client_id.as_str())
            && let Some(n) = by_expiry.get_mut(&code.expires_at.0)
        {
            *n = n.saturating_sub(1);
        }
    }

    /// The client's live pending codes at `now`, and when the first of
    /// them expires.
    fn live(&self, client_id: &str, now: UnixSecs) -> (u64, Option<UnixSecs>) {
        let Some(by_expiry) = self.clients.get(client_id) else {
            return (0, None);
        };
        // Expired seconds stay (counted as expired until the recount finds
        // them cleaned up); only the later ones are read here.
        let live = by_expiry.range(now.0 + 1..).filter(|(_, n)| **n > 0);
        let first = live.clone().next().map(|(at, _)| UnixSecs(*at));
        (live.map(|(_, n)| n).sum(), first)
    }

    /// Every client's live pending codes at `now`.
    fn total(&self, now: UnixSecs) -> u64 {
        self.clients
            .iter()
            .map(|entry| entry.range(now.0 + 1..).map(|(_, n)| n).sum::<u64>())
            .sum()
    }

    /// Every client's pending codes that had expired by `now` and were not
    /// yet cleaned up when last recounted.
    fn expired(&self, now: UnixSecs) -> u64 {
        self.clients
            .iter()
            .map(|entry| entry.range(..=now.0).map(|(_, n)| n).sum::<u64>())
            .sum()
    }

    fn replace_all(&self, rows: Vec<(String, i64, i64)>) {
        let mut fresh: std::collections::HashMap<String, BTreeMap<i64, u64>> =
            std::collections::HashMap::new();
        for (client_id, expires_at, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            *fresh
                .entry(client_id)
                .or_default()
                .entry(expires_at)
                .or_default() += n;
        }
        self.clients.retain(|client, _| fresh.contains_key(client));
        for (client, by_expiry) in fresh {
            self.clients.insert(client, by_expiry);
        }
    }
}

/// A client's live pending codes as the store counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingOfClient {
    pub live: u64,
    /// When the earliest of them expires (and a slot frees up, at the
    /// latest).
    pub first_expiry: Option<UnixSecs>,
}

impl Store {
    /// How many live pending codes `client_id` has at `now`; see the
    /// module doc for how exact that is.
    pub fn pending_codes_of(&self, client_id: &str, now: UnixSecs) -> PendingOfClient {
        let (live, first_expiry) = self.changes.pending_counts.live(client_id, now);
        PendingOfClient { live, first_expiry }
    }

    /// How many live pending codes there are at `now`, all clients
    /// together (what the global cap on code guesses scales with).
    pub fn live_pending_codes(&self, now: UnixSecs) -> u64 {
        self.changes.pending_counts.total(now)
    }

    /// How many pending codes had expired by `now` and were still stored
    /// (undecided, not yet cleaned up), all clients together; see the
    /// module doc for how fresh that is.
    pub fn expired_pending_codes(&self, now: UnixSecs) -> u64 {
        self.changes.pending_counts.expired(now)
    }

    /// Reads the pending codes per client and expiry from the database,
    /// live and expired, and counts from those (at start-up and every
    /// minute).
    pub async fn recount_pending_codes(&self) -> Result<()> {
        let sql = format!(
            "SELECT client_id, expires_at, COUNT(*) FROM device_codes \
             WHERE status = '{}' GROUP BY client_id, expires_at",
            DeviceStatus::Pending.as_str()
        );
        let rows: Vec<(String, i64, i64)> = on_pool!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        self.changes.pending_counts.replace_all(rows);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_count_until_decided_or_expired() {
        let counts = PendingCounts::default();
        counts.issued("c", UnixSecs(100));
        counts.issued("c", UnixSecs(100));
        counts.issued("c", UnixSecs(200));
        counts.issued("other", UnixSecs(200));
        assert_eq!(counts.live("c", UnixSecs(50)), (3, Some(UnixSecs(100))));
        let code = DeviceCode {
            client_id: "c".into(),
            expires_at: UnixSecs(100),
            ..DeviceCode::example()
        };
        counts.decided(&code);
        assert_eq!(counts.live("c", UnixSecs(50)).0, 2);
        assert_eq!(
            counts.live("c", UnixSecs(100)),
            (1, Some(UnixSecs(200))),
            "a code is no longer live at its expiry second"
        );
        assert_eq!(counts.live("nobody", UnixSecs(0)), (0, None));
        assert_eq!(counts.total(UnixSecs(100)), 2, "one of c's and other's");
        assert_eq!(counts.expired(UnixSecs(100)), 1, "c's undecided one");
        assert_eq!(counts.expired(UnixSecs(99)), 0);
        assert_eq!(counts.expired(UnixSecs(200)), 3);
        counts.replace_all(vec![("c".into(), 300, 5)]);
        assert_eq!(counts.live("c", UnixSecs(0)).0, 5);
        assert_eq!(
            counts.live("other", UnixSecs(0)).0,
            0,
            "the database is the truth"
        );
    }
}
