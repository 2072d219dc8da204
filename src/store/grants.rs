//! Grants (a user's approval of a client) and their refresh tokens.
//!
//! Revoking a grant revokes every access and refresh token it produced, in
//! one transaction; rotating a refresh token marks the old one consumed in
//! the same transaction that stores its successors, and only if it was
//! still unconsumed — so a token can be exchanged once.

use super::{Result, Store, Topic, on_pool};
use crate::store::NewAccessToken;

#[derive(Debug, Clone)]
pub struct NewGrant {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub scope: String,
    pub device_code_id: Option<String>,
    pub device_label: Option<String>,
    pub requester_ip: Option<String>,
    pub now: i64,
}

#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    pub id: String,
    pub token_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// A grant as its user sees it on /account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantView {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    pub device_label: Option<String>,
    pub requester_ip: Option<String>,
    pub created_at: i64,
    pub last_used_at: i64,
}

/// A refresh token row with what decides whether it may be used.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshTokenRecord {
    pub id: String,
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub username: String,
    pub scope: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub grant_revoked_at: Option<i64>,
    pub user_disabled: bool,
    pub client_disabled: bool,
}

pub(super) const INSERT_GRANT: &str = "INSERT INTO grants (id, user_id, client_id, scope, device_code_id, \
    device_label, requester_ip, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)";
pub(super) const INSERT_REFRESH: &str = "INSERT INTO refresh_tokens (id, token_hash, grant_id, client_id, \
    user_id, scope, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub(super) const INSERT_ACCESS: &str = "INSERT INTO access_tokens \
    (jti, user_id, client_id, scope, device_code_id, grant_id, issued_at, expires_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Binds and runs the three inserts shared by redemption and rotation.
macro_rules! insert_tokens {
    ($tx:expr, $grant_id:expr, $access:expr, $refresh:expr) => {{
        let access: &NewAccessToken = $access;
        sqlx::query($crate::store::grants::INSERT_ACCESS)
            .bind(&access.jti)
            .bind(&access.user_id)
            .bind(&access.client_id)
            .bind(&access.scope)
            .bind(&access.device_code_id)
            .bind($grant_id)
            .bind(access.issued_at)
            .bind(access.expires_at)
            .execute(&mut *$tx)
            .await?;
        if let Some(refresh) = $refresh {
            let refresh: &NewRefreshToken = refresh;
            sqlx::query($crate::store::grants::INSERT_REFRESH)
                .bind(&refresh.id)
                .bind(&refresh.token_hash)
                .bind(&refresh.grant_id)
                .bind(&refresh.client_id)
                .bind(&refresh.user_id)
                .bind(&refresh.scope)
                .bind(refresh.issued_at)
                .bind(refresh.expires_at)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(super) use insert_tokens;

/// Binds a grant insert.
macro_rules! insert_grant {
    ($tx:expr, $grant:expr) => {{
        let grant: &NewGrant = $grant;
        sqlx::query($crate::store::grants::INSERT_GRANT)
            .bind(&grant.id)
            .bind(&grant.user_id)
            .bind(&grant.client_id)
            .bind(&grant.scope)
            .bind(&grant.device_code_id)
            .bind(&grant.device_label)
            .bind(&grant.requester_ip)
            .bind(grant.now)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(super) use insert_grant;

impl Store {
    /// Active grants of a user, most recently used first.
    pub async fn list_user_grants(&self, user_id: &str) -> Result<Vec<GrantView>> {
        let rows = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT g.id, g.client_id, c.name AS client_name, g.scope, g.device_label, \
                 g.requester_ip, g.created_at, g.last_used_at \
                 FROM grants g JOIN oauth_clients c ON c.id = g.client_id \
                 WHERE g.user_id = $1 AND g.revoked_at IS NULL \
                 ORDER BY g.last_used_at DESC, g.id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Revokes a grant and all its tokens. With `owner`, only that user's
    /// grant. `false` when there was no such live grant.
    pub async fn revoke_grant(&self, id: &str, owner: Option<&str>, now: i64) -> Result<bool> {
        on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE grants SET revoked_at = $1 \
                 WHERE id = $2 AND revoked_at IS NULL AND ($3 IS NULL OR user_id = $3)",
            )
            .bind(now)
            .bind(id)
            .bind(owner)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query("UPDATE access_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.changed(Topic::Tokens).await;
        Ok(true)
    }

    /// The grant a device code produced, if any.
    pub async fn grant_of_device_code(&self, device_code_id: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id FROM grants WHERE device_code_id = $1")
                .bind(device_code_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(id,)| id))
    }

    pub async fn find_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshTokenRecord>> {
        let row = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT r.id, r.grant_id, r.client_id, r.user_id, u.username, r.scope, r.issued_at, \
                 r.expires_at, r.consumed_at, r.revoked_at, g.revoked_at AS grant_revoked_at, \
                 u.disabled AS user_disabled, c.disabled AS client_disabled \
                 FROM refresh_tokens r \
                 JOIN grants g ON g.id = r.grant_id \
                 JOIN users u ON u.id = r.user_id \
                 JOIN oauth_clients c ON c.id = r.client_id \
                 WHERE r.token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }

    /// Exchanges refresh token `old_id` for its successors, once: `false`
    /// (nothing written) when it was already consumed or revoked.
    pub async fn rotate_refresh_token(
        &self,
        old_id: &str,
        now: i64,
        access: &NewAccessToken,
        refresh: &NewRefreshToken,
    ) -> Result<bool> {
        on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            let won = sqlx::query(
                "UPDATE refresh_tokens SET consumed_at = $1 \
                 WHERE id = $2 AND consumed_at IS NULL AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(old_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !won {
                tx.rollback().await?;
                return Ok(false);
            }
            insert_tokens!(tx, &refresh.grant_id, access, Some(refresh));
            sqlx::query("UPDATE grants SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&refresh.grant_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(true)
    }

    /// Revokes one refresh token's whole grant (RFC 7009 §2.1: revoking a
    /// refresh token also invalidates the access tokens of its grant).
    pub async fn revoke_refresh_token(
        &self,
        token_hash: &str,
        client_id: &str,
        now: i64,
    ) -> Result<bool> {
        let grant: Option<(String,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT grant_id FROM refresh_tokens WHERE token_hash = $1 AND client_id = $2")
                .bind(token_hash)
                .bind(client_id)
                .fetch_optional(pool)
                .await?
        });
        match grant {
            Some((grant_id,)) => self.revoke_grant(&grant_id, None, now).await,
            None => Ok(false),
        }
    }

    /// Deletes refresh tokens that expired more than `retention_secs` ago.
    pub async fn delete_stale_refresh_tokens(&self, now: i64, retention_secs: i64) -> Result<u64> {
        let n = on_pool!(writer self, pool => {
            sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < $1")
                .bind(now - retention_secs)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n)
    }
}
