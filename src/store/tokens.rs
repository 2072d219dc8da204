//! Access token records, keyed by the JWT's `jti`.

use super::{Result, Store, Topic, on_pool};

#[derive(Debug, Clone)]
pub struct NewAccessToken {
    pub jti: String,
    pub user_id: String,
    pub client_id: String,
    pub scope: String,
    pub device_code_id: Option<String>,
    pub grant_id: String,
    pub issued_at: i64,
    pub expires_at: i64,
    /// RFC 8707 resources it is for, in stored form; empty: the issuer.
    pub audience: String,
    /// The thumbprint of the DPoP key it is bound to (RFC 9449 §6).
    pub dpop_jkt: Option<String>,
}

/// An access token a client was issued for itself (the client
/// credentials grant).
#[derive(Debug, Clone, Copy)]
pub struct NewMachineToken<'a> {
    pub jti: &'a str,
    pub client_id: &'a str,
    pub scope: &'a str,
    /// The RFC 8707 resources, space-separated ('' = the issuer).
    pub audience: &'a str,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The DPoP key it is bound to (RFC 9449 §6).
    pub dpop_jkt: Option<&'a str>,
}

/// An access token row joined with the state of its user and client. A
/// machine token (the client credentials grant) has no user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessTokenRecord {
    pub jti: String,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub client_id: String,
    pub scope: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub grant_id: Option<String>,
    pub user_disabled: Option<bool>,
    pub client_disabled: bool,
    /// The grant's `auth_time` and `amr` (none without a grant).
    pub auth_time: Option<i64>,
    pub amr: Option<String>,
    /// The RFC 8707 resources it was issued for, space-separated; empty
    /// when its audience is the issuer.
    pub audience: String,
    /// The DPoP key it is bound to, if any.
    pub dpop_jkt: Option<String>,
}

impl Store {
    pub async fn find_access_token(&self, jti: &str) -> Result<Option<AccessTokenRecord>> {
        let row: Option<AccessTokenRecord> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT t.jti, t.user_id, u.username, t.client_id, t.scope, t.issued_at, \
                 t.expires_at, t.revoked_at, t.grant_id, u.disabled AS user_disabled, \
                 c.disabled AS client_disabled, \
                 COALESCE(g.auth_time, g.created_at) AS auth_time, g.amr, t.audience, t.dpop_jkt \
                 FROM access_tokens t \
                 LEFT JOIN users u ON u.id = t.user_id \
                 JOIN oauth_clients c ON c.id = t.client_id \
                 LEFT JOIN grants g ON g.id = t.grant_id \
                 WHERE t.jti = $1",
            )
            .bind(jti)
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }

    /// Records an access token issued to a client for itself (the client
    /// credentials grant): no user, no grant, nothing to hand over.
    pub async fn insert_machine_token(&self, token: &NewMachineToken<'_>) -> Result<()> {
        on_pool!(writer self, pool => {
            sqlx::query(
                "INSERT INTO access_tokens \
                 (jti, user_id, client_id, scope, audience, issued_at, expires_at, dpop_jkt) \
                 VALUES ($1, NULL, $2, $3, $4, $5, $6, $7)",
            )
            .bind(token.jti)
            .bind(token.client_id)
            .bind(token.scope)
            .bind(token.audience)
            .bind(token.issued_at)
            .bind(token.expires_at)
            .bind(token.dpop_jkt)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Revokes one access token of `client_id`. `false` when there was no
    /// such live token.
    pub async fn revoke_access_token(&self, jti: &str, client_id: &str, now: i64) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query(
                "UPDATE access_tokens SET revoked_at = $1 \
                 WHERE jti = $2 AND client_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(jti)
            .bind(client_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n > 0 {
            self.changed(Topic::Tokens).await;
        }
        Ok(n == 1)
    }

    /// Revokes every live token minted from one device code. Returns how many.
    pub async fn revoke_tokens_of_device_code(
        &self,
        device_code_id: &str,
        now: i64,
    ) -> Result<u64> {
        let n = on_pool!(writer self, pool => {
            sqlx::query(
                "UPDATE access_tokens SET revoked_at = $1 \
                 WHERE device_code_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(device_code_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n > 0 {
            self.changed(Topic::Tokens).await;
        }
        Ok(n)
    }

    /// Deletes token rows that expired more than `retention_secs` ago.
    pub async fn delete_stale_access_tokens(&self, now: i64, retention_secs: i64) -> Result<u64> {
        let n = on_pool!(writer self, pool => {
            sqlx::query("DELETE FROM access_tokens WHERE expires_at < $1")
                .bind(now - retention_secs)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n)
    }
}
