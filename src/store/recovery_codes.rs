//! Recovery codes (see model/recovery.rs): hashes only, one row per code.
//!
//! Using a code is one guarded statement (`... WHERE used_at IS NULL`), so
//! a code raced from two tabs or two instances is used once. A new set
//! replaces the old one in one transaction, and only while the person's
//! TOTP factor is on, so a set cannot outlive a factor turned off
//! meanwhile.

use super::{Result, Store, Topic, on_pool};
use crate::model::recovery::RecoveryCount;
use crate::model::time::UnixSecs;

/// One stored code: its row id and its Argon2id hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecoveryCodeHash {
    pub id: String,
    pub code_hash: String,
}

/// What resetting a person's second factors removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactorsRemoved {
    /// Whether a TOTP factor (on or being set up) was there.
    pub totp: bool,
    /// Recovery codes removed, used or not.
    pub recovery_codes: u64,
    /// Passkeys removed.
    pub passkeys: u64,
}

impl Store {
    /// Replaces `user_id`'s recovery codes with `hashes` (id, hash) made at
    /// `now`. False (and nothing changed) when their TOTP factor is not on.
    pub async fn replace_recovery_codes(
        &self,
        user_id: &str,
        hashes: &[(String, String)],
        now: UnixSecs,
    ) -> Result<bool> {
        on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            let on: Option<(String,)> = sqlx::query_as(
                "SELECT user_id FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL",
            )
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            if on.is_none() {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            for (id, hash) in hashes {
                sqlx::query(
                    "INSERT INTO recovery_codes (id, user_id, code_hash, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(user_id)
                .bind(hash)
                .bind(now.0)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(true)
    }

    /// The hashes of `user_id`'s codes not used yet.
    pub async fn unused_recovery_codes(&self, user_id: &str) -> Result<Vec<RecoveryCodeHash>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, code_hash FROM recovery_codes \
                 WHERE user_id = $1 AND used_at IS NULL ORDER BY id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Marks code `id` of `user_id` used at `now`. False when it was used
    /// already (or replaced): the code must then be refused.
    pub async fn use_recovery_code(&self, user_id: &str, id: &str, now: UnixSecs) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query(
                "UPDATE recovery_codes SET used_at = $1 \
                 WHERE id = $2 AND user_id = $3 AND used_at IS NULL",
            )
            .bind(now.0)
            .bind(id)
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// How many of `user_id`'s codes are left, of how many.
    pub async fn recovery_count(&self, user_id: &str) -> Result<RecoveryCount> {
        let (total, left): (i64, i64) = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT COUNT(*), COUNT(*) - COUNT(used_at) FROM recovery_codes WHERE user_id = $1",
            )
            .bind(user_id)
            .fetch_one(pool)
            .await?
        });
        Ok(RecoveryCount { left, total })
    }

    /// Removes every recovery code of `user_id`; how many there were.
    pub async fn delete_recovery_codes(&self, user_id: &str) -> Result<u64> {
        Ok(on_pool!(writer self, pool => {
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Removes `user_id`'s second factors (TOTP, recovery codes) and ends
    /// every browser session of theirs (their session epoch moves on), in
    /// one transaction.
    pub async fn reset_second_factors(&self, user_id: &str, now: i64) -> Result<FactorsRemoved> {
        let removed = on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            let codes = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let totp = sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let passkeys = sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query(
                "UPDATE users SET session_epoch = session_epoch + 1, updated_at = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            FactorsRemoved {
                totp: totp > 0,
                recovery_codes: codes,
                passkeys,
            }
        });
        // Every instance reloads the user, and with it the new epoch.
        self.changed(Topic::Users).await;
        Ok(removed)
    }
}
