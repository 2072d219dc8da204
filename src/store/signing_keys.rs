//! Signing key rows.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Error, Result, Store, on_pool};
use crate::crypto::keys::{SigningAlg, StoredKey};

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    alg: String,
    private_der: String,
    public_jwk: String,
    created_at: i64,
    retired_at: Option<i64>,
}

impl TryFrom<KeyRow> for StoredKey {
    type Error = Error;

    fn try_from(row: KeyRow) -> Result<Self> {
        let corrupt = |what: &str| Error::Corrupt(format!("signing key {}: {what}", row.kid));
        let alg = SigningAlg::parse(&row.alg).ok_or_else(|| corrupt("unknown algorithm"))?;
        let private_der = STANDARD
            .decode(&row.private_der)
            .map_err(|_| corrupt("private key is not base64"))?;
        let public_jwk =
            serde_json::from_str(&row.public_jwk).map_err(|_| corrupt("public JWK is not JSON"))?;
        Ok(StoredKey {
            kid: row.kid,
            alg,
            private_der,
            public_jwk,
            created_at: row.created_at,
            retired_at: row.retired_at,
        })
    }
}

impl Store {
    pub async fn insert_signing_key(&self, key: &StoredKey) -> Result<()> {
        let der = STANDARD.encode(&key.private_der);
        let jwk = key.public_jwk.to_string();
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO signing_keys (kid, alg, private_der, public_jwk, created_at, retired_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&key.kid)
            .bind(key.alg.as_str())
            .bind(&der)
            .bind(&jwk)
            .bind(key.created_at)
            .bind(key.retired_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// All keys, newest first.
    pub async fn list_signing_keys(&self) -> Result<Vec<StoredKey>> {
        let rows: Vec<KeyRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT kid, alg, private_der, public_jwk, created_at, retired_at \
                 FROM signing_keys ORDER BY created_at DESC, kid",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(StoredKey::try_from).collect()
    }

    /// Retires every active key except `keep`. Returns how many.
    pub async fn retire_signing_keys_except(&self, keep: &str, now: i64) -> Result<u64> {
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL AND kid <> $2")
                .bind(now)
                .bind(keep)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n)
    }

    /// Deletes keys retired before `before` (their tokens have expired).
    pub async fn delete_retired_signing_keys(&self, before: i64) -> Result<u64> {
        let n = on_pool!(self, pool => {
            sqlx::query("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n)
    }
}
