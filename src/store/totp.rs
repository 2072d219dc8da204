//! TOTP factors: one row per person (see model/totp.rs).
//!
//! Accepting a code is one guarded statement: the row moves to the new
//! step only if its last accepted step is older (and the factor is in the
//! state the use needs), so the same step is accepted at most once even
//! when two requests race, on one instance or several.

use super::{Result, Store, on_pool};
use crate::model::Secret;
use crate::model::time::UnixSecs;
use crate::model::totp::{StepUse, TotpFactor};

#[derive(sqlx::FromRow)]
struct TotpRow {
    user_id: String,
    secret: String,
    created_at: i64,
    confirmed_at: Option<i64>,
    last_used_at: Option<i64>,
    last_step: i64,
}

impl Store {
    /// `user_id`'s factor, confirmed or not.
    pub async fn totp_factor(&self, user_id: &str) -> Result<Option<TotpFactor>> {
        let row: Option<TotpRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT user_id, secret, created_at, confirmed_at, last_used_at, last_step \
                 FROM totp_factors WHERE user_id = $1",
            )
            .bind(user_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|r| TotpFactor {
            user_id: r.user_id,
            secret: Secret::new(r.secret),
            created_at: UnixSecs(r.created_at),
            confirmed_at: r.confirmed_at.map(UnixSecs),
            last_used_at: r.last_used_at.map(UnixSecs),
            last_step: r.last_step,
        }))
    }

    /// Starts (or restarts) enrolment with a new unconfirmed key. A factor
    /// that is already on is left alone: false.
    pub async fn begin_totp(&self, user_id: &str, secret: &Secret, now: UnixSecs) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query(
                "INSERT INTO totp_factors (user_id, secret, created_at, last_step) \
                 VALUES ($1, $2, $3, 0) ON CONFLICT (user_id) DO UPDATE \
                 SET secret = excluded.secret, created_at = excluded.created_at, last_step = 0 \
                 WHERE totp_factors.confirmed_at IS NULL",
            )
            .bind(user_id)
            .bind(secret.expose())
            .bind(now.0)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Accepts time step `step` for `user_id` at `now` (turning the factor
    /// on for [`StepUse::Confirm`]). False when the step (or a later one)
    /// was already accepted, or the factor is not in the state `usage`
    /// needs: the code must then be refused.
    pub async fn accept_totp_step(
        &self,
        user_id: &str,
        step: i64,
        usage: StepUse,
        now: UnixSecs,
    ) -> Result<bool> {
        let sql = match usage {
            StepUse::Confirm => {
                "UPDATE totp_factors SET last_step = $1, last_used_at = $2, confirmed_at = $2 \
                 WHERE user_id = $3 AND last_step < $1 AND confirmed_at IS NULL"
            }
            StepUse::Verify => {
                "UPDATE totp_factors SET last_step = $1, last_used_at = $2 \
                 WHERE user_id = $3 AND last_step < $1 AND confirmed_at IS NOT NULL"
            }
        };
        let n = on_pool!(writer self, pool => {
            sqlx::query(sql)
                .bind(step)
                .bind(now.0)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Removes `user_id`'s factor; false if there was none.
    pub async fn delete_totp(&self, user_id: &str) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }
}
