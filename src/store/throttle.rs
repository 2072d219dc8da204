//! Counters behind the brute-force defences, kept in the database so every
//! instance enforces the same limits.
//!
//! A sign-in attempt is counted *before* its password is checked, by one
//! statement per key ([`Store::reserve_attempt`]) that refuses while the
//! key is locked and otherwise counts the attempt and sets the next lock
//! from the new count. Concurrent attempts therefore serialise on the row:
//! however many arrive at once, at most the free allowance plus one get
//! through before the lock holds, on one instance or many.

use super::{Result, Store, on_pool};
use crate::model::audit::AuditAction;

/// How a key's attempts turn into lock-outs: the first `free` attempts in
/// a day cost nothing; after that each one locks the key for 2, 4, 8 …
/// seconds, at most `max_lock_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockRule {
    pub free: i64,
    pub max_lock_secs: i64,
}

impl LockRule {
    /// Seconds of lock-out after the `attempts`-th counted attempt.
    pub fn delay(self, attempts: i64) -> i64 {
        if attempts <= self.free {
            return 0;
        }
        let exponent = u32::try_from((attempts - self.free).min(20)).unwrap_or(20);
        2_i64.saturating_pow(exponent).min(self.max_lock_secs)
    }
}

/// One counted attempt: the new count, when, and the lock it set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    pub count: i64,
    pub at: i64,
    pub locked_until: i64,
}

/// The new attempt count of a row being updated: restarts at 1 when the
/// last attempt is older than `$3`.
const NEW_COUNT: &str = "(CASE WHEN login_failures.last_failure_at < $3 \
     THEN 1 ELSE login_failures.failures + 1 END)";

/// [`LockRule::delay`] of [`NEW_COUNT`] in SQL that both engines run
/// (`$4` is the free allowance, `$5` the longest lock; shifting by 20 or
/// more is already past any lock we use).
fn lock_of_new_count() -> String {
    let over = format!("CAST({NEW_COUNT} - $4 AS INTEGER)");
    format!(
        "CASE WHEN {NEW_COUNT} <= $4 THEN 0 \
              WHEN {NEW_COUNT} - $4 >= 20 THEN $5 \
              WHEN (1 << {over}) >= $5 THEN $5 \
              ELSE (1 << {over}) END"
    )
}

impl Store {
    /// Counts one attempt against `key` at `now`, unless the key is locked:
    /// `Ok(None)` when it is (nothing counted). Counts restart when the
    /// last attempt is older than `forget_before`.
    pub async fn reserve_attempt(
        &self,
        key: &str,
        rule: LockRule,
        now: i64,
        forget_before: i64,
    ) -> Result<Option<Reservation>> {
        let sql = format!(
            "INSERT INTO login_failures (key, failures, last_failure_at, locked_until) \
             VALUES ($1, 1, $2, $2 + $6) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = {NEW_COUNT}, \
             locked_until = $2 + {lock}, \
             last_failure_at = $2 \
             WHERE login_failures.locked_until <= $2 \
             RETURNING failures, locked_until",
            lock = lock_of_new_count(),
        );
        let row: Option<(i64, i64)> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(key)
                .bind(now)
                .bind(forget_before)
                .bind(rule.free)
                .bind(rule.max_lock_secs)
                .bind(rule.delay(1))
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(count, locked_until)| Reservation {
            count,
            at: now,
            locked_until,
        }))
    }

    /// Gives back an attempt reserved on `key` (it turned out not to be a
    /// failure, or another key refused it), with the lock it set: the key
    /// was unlocked when it was reserved. A lock set since by a later
    /// attempt stays.
    pub async fn release_attempt(&self, key: &str, reserved: &Reservation) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE login_failures SET failures = failures - 1, \
                 locked_until = CASE WHEN locked_until = $2 THEN $3 ELSE locked_until END \
                 WHERE key = $1 AND failures > 0",
            )
            .bind(key)
            .bind(reserved.locked_until)
            .bind(reserved.at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Until when `key` is locked out (Unix seconds), if it has a row.
    pub async fn login_locked_until(&self, key: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT locked_until FROM login_failures WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(t,)| t))
    }

    /// Forgets `key`'s attempts and lock.
    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM login_failures WHERE key = $1")
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Forgets `key` and every key that starts with `prefix`; returns how
    /// many keys were locked at `now`.
    pub async fn clear_login_failures_like(
        &self,
        key: &str,
        prefix: &str,
        now: i64,
    ) -> Result<u64> {
        // substr, not LIKE: usernames may contain `_`, a LIKE wildcard.
        let (locked,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT COUNT(*) FROM login_failures WHERE (key = $1 OR substr(key, 1, length($2)) = $2) \
                 AND locked_until > $3",
            )
            .bind(key)
            .bind(prefix)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM login_failures WHERE key = $1 OR substr(key, 1, length($2)) = $2")
                .bind(key)
                .bind(prefix)
                .execute(pool)
                .await?;
        });
        Ok(u64::try_from(locked).unwrap_or(0))
    }

    /// The latest lock on `key` or on any key starting with `prefix`, if
    /// one holds at `now`.
    pub async fn latest_lock_like(&self, key: &str, prefix: &str, now: i64) -> Result<Option<i64>> {
        let (until,): (Option<i64>,) = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT MAX(locked_until) FROM login_failures \
                 WHERE (key = $1 OR substr(key, 1, length($2)) = $2) AND locked_until > $3",
            )
            .bind(key)
            .bind(prefix)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        Ok(until)
    }

    /// Deletes attempt rows neither recent nor locked, and sign-in origins
    /// not seen since `origins_before`.
    pub async fn delete_stale_login_failures(
        &self,
        before: i64,
        origins_before: i64,
    ) -> Result<u64> {
        let n = on_pool!(self, pool => {
            sqlx::query("DELETE FROM login_failures WHERE last_failure_at < $1 AND locked_until < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
        });
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sign_in_origins WHERE last_success_at < $1")
                .bind(origins_before)
                .execute(pool)
                .await?;
        });
        Ok(n)
    }

    /// Records that `username` signed in from `network` at `now`.
    pub async fn remember_sign_in_origin(
        &self,
        username: &str,
        network: &str,
        now: i64,
    ) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO sign_in_origins (username, network, last_success_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (username, network) DO UPDATE SET last_success_at = $3",
            )
            .bind(username)
            .bind(network)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Whether `username` signed in from `network` at or after `since`.
    pub async fn is_sign_in_origin(
        &self,
        username: &str,
        network: &str,
        since: i64,
    ) -> Result<bool> {
        let row: Option<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT last_success_at FROM sign_in_origins WHERE username = $1 AND network = $2",
            )
            .bind(username)
            .bind(network)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.is_some_and(|(at,)| at >= since))
    }

    /// How many audit events of `action` happened at or after `since`.
    pub async fn count_audit_events_since(&self, action: AuditAction, since: i64) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE action = $1 AND at >= $2")
                .bind(action.as_str())
                .bind(since)
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }

    /// The time of the `skip`-th (from 0) oldest event of `action` at or
    /// after `since`: when the count of such events falls by `skip + 1`.
    pub async fn nth_audit_event_since(
        &self,
        action: AuditAction,
        since: i64,
        skip: i64,
    ) -> Result<Option<i64>> {
        let row: Option<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT at FROM audit_events WHERE action = $1 AND at >= $2 ORDER BY at LIMIT 1 OFFSET $3",
            )
            .bind(action.as_str())
            .bind(since)
            .bind(skip)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(at,)| at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_cap() {
        let rule = LockRule {
            free: 3,
            max_lock_secs: 900,
        };
        assert_eq!(rule.delay(3), 0);
        assert_eq!(rule.delay(4), 2);
        assert_eq!(rule.delay(5), 4);
        assert_eq!(rule.delay(12), 512);
        assert_eq!(rule.delay(13), 900);
        assert_eq!(rule.delay(1_000), 900);
    }

    /// The SQL form of the delay agrees with [`LockRule::delay`] on both
    /// sides of every boundary (SQLite here; the PostgreSQL run of the
    /// integration tests covers the other engine).
    #[tokio::test]
    async fn the_sql_lock_matches_the_rule() {
        let store = Store::connect("sqlite::memory:", &super::super::PoolSettings::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        for rule in [
            LockRule {
                free: 3,
                max_lock_secs: 900,
            },
            LockRule {
                free: 0,
                max_lock_secs: 8,
            },
        ] {
            store.clear_login_failures("k").await.unwrap();
            let mut now = 1_000_000;
            for attempt in 1..=30 {
                let reserved = store
                    .reserve_attempt("k", rule, now, 0)
                    .await
                    .unwrap()
                    .expect("not locked: the clock moved past the lock");
                assert_eq!(reserved.count, attempt);
                let until = store.login_locked_until("k").await.unwrap().unwrap();
                assert_eq!(
                    until - now,
                    rule.delay(attempt),
                    "{rule:?} attempt {attempt}"
                );
                if until > now {
                    assert_eq!(
                        store.reserve_attempt("k", rule, now, 0).await.unwrap(),
                        None
                    );
                }
                now = until.max(now);
            }
        }
    }

    #[tokio::test]
    async fn a_released_attempt_takes_its_lock_with_it() {
        let store = Store::connect("sqlite::memory:", &super::super::PoolSettings::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let rule = LockRule {
            free: 1,
            max_lock_secs: 900,
        };
        let now = 1_000;
        store
            .reserve_attempt("k", rule, now, 0)
            .await
            .unwrap()
            .unwrap();
        let second = store
            .reserve_attempt("k", rule, now, 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(second.locked_until, now + 2);
        assert_eq!(
            store.reserve_attempt("k", rule, now, 0).await.unwrap(),
            None
        );
        store.release_attempt("k", &second).await.unwrap();
        let third = store
            .reserve_attempt("k", rule, now, 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(third.count, 2, "the released attempt no longer counts");
        // A lock set by a later attempt is not the released one's to lift.
        let later = now + 5;
        let fourth = store
            .reserve_attempt("k", rule, later, 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(fourth.locked_until, later + 4);
        store.release_attempt("k", &third).await.unwrap();
        assert_eq!(
            store.login_locked_until("k").await.unwrap(),
            Some(later + 4)
        );
    }
}
