//! Passkeys (see model/passkey.rs) and the challenges of finished
//! passkey ceremonies.
//!
//! Two statements carry the single-use rules: a challenge is accepted by
//! inserting it (a second insert of the same challenge changes nothing),
//! and a use is recorded with an update guarded on the signature counter
//! moving forward, so two answers raced on one or several instances
//! cannot both count.

use super::{Error, Result, Store, on_pool};
use crate::model::passkey::{Passkey, StoredPasskey};
use crate::model::time::UnixSecs;

#[derive(sqlx::FromRow)]
struct PasskeyRow {
    id: String,
    user_id: String,
    name: String,
    credential_id: String,
    credential: String,
    sign_count: i64,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl TryFrom<PasskeyRow> for StoredPasskey {
    type Error = Error;

    fn try_from(r: PasskeyRow) -> Result<Self> {
        let credential: Passkey = serde_json::from_str(&r.credential)
            .map_err(|e| Error::Corrupt(format!("passkey {}: {e}", r.id)))?;
        Ok(StoredPasskey {
            id: r.id,
            user_id: r.user_id,
            name: r.name,
            credential_id: r.credential_id,
            credential,
            sign_count: u32::try_from(r.sign_count).unwrap_or(0),
            created_at: UnixSecs(r.created_at),
            last_used_at: r.last_used_at.map(UnixSecs),
        })
    }
}

const COLUMNS: &str =
    "id, user_id, name, credential_id, credential, sign_count, created_at, last_used_at";

fn to_json(credential: &Passkey) -> Result<String> {
    serde_json::to_string(credential).map_err(|e| Error::Corrupt(format!("passkey: {e}")))
}

impl Store {
    /// `user_id`'s passkeys, oldest first.
    pub async fn passkeys_of(&self, user_id: &str) -> Result<Vec<StoredPasskey>> {
        let sql =
            format!("SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id");
        let rows: Vec<PasskeyRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await?
        });
        rows.into_iter().map(StoredPasskey::try_from).collect()
    }

    /// Whether `user_id` has a passkey.
    pub async fn has_passkey(&self, user_id: &str) -> Result<bool> {
        let found: Option<(String,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id FROM passkeys WHERE user_id = $1 LIMIT 1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// The passkey with credential id `credential_id` (base64url), whoever
    /// owns it.
    pub async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<StoredPasskey>> {
        let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1");
        let row: Option<PasskeyRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(credential_id).fetch_optional(pool).await?
        });
        row.map(StoredPasskey::try_from).transpose()
    }

    /// Stores a new passkey. [`Error::Conflict`] when its credential id is
    /// already stored (for anyone).
    pub async fn insert_passkey(&self, passkey: &StoredPasskey) -> Result<()> {
        let credential = to_json(&passkey.credential)?;
        on_pool!(writer self, pool => {
            sqlx::query(
                "INSERT INTO passkeys (id, user_id, name, credential_id, credential, sign_count, \
                 created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
            )
            .bind(&passkey.id)
            .bind(&passkey.user_id)
            .bind(&passkey.name)
            .bind(&passkey.credential_id)
            .bind(credential)
            .bind(i64::from(passkey.sign_count))
            .bind(passkey.created_at.0)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Renames `user_id`'s passkey `id`; false when they have no such one.
    pub async fn rename_passkey(&self, user_id: &str, id: &str, name: &str) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query("UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3")
                .bind(name)
                .bind(id)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Removes `user_id`'s passkey `id`; false when they have no such one.
    pub async fn delete_passkey(&self, user_id: &str, id: &str) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Records a use of passkey `id` whose counter was `previous` when it
    /// was read: the credential as updated after the use, its counter, and
    /// `now`. False when the stored counter is no longer `previous` (the
    /// same or a later assertion was recorded meanwhile): the use must then
    /// be refused.
    pub async fn record_passkey_use(
        &self,
        id: &str,
        previous: u32,
        credential: &Passkey,
        sign_count: u32,
        now: UnixSecs,
    ) -> Result<bool> {
        let credential = to_json(credential)?;
        // An authenticator without a counter always says 0: there is
        // nothing to order, and the challenge alone makes the use single.
        let n = on_pool!(writer self, pool => {
            sqlx::query(
                "UPDATE passkeys SET credential = $1, sign_count = $2, last_used_at = $3 \
                 WHERE id = $4 AND sign_count = $5 AND ($2 > $5 OR $2 = 0)",
            )
            .bind(credential)
            .bind(i64::from(sign_count))
            .bind(now.0)
            .bind(id)
            .bind(i64::from(previous))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Accepts the challenge `challenge` (base64url) once: false when it was
    /// accepted before. Kept until `expires_at`, after which no ceremony
    /// can answer it anyway.
    pub async fn accept_passkey_challenge(&self, challenge: &str, expires_at: i64) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query(
                "INSERT INTO passkey_challenges (challenge, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (challenge) DO NOTHING",
            )
            .bind(challenge)
            .bind(expires_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Forgets challenges that expired before `now`.
    pub async fn delete_expired_passkey_challenges(&self, now: i64) -> Result<u64> {
        Ok(on_pool!(writer self, pool => {
            sqlx::query("DELETE FROM passkey_challenges WHERE expires_at < $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
