//! Grants (a user's approval of a client) and their refresh tokens.
//!
//! Revoking a grant revokes every access and refresh token it produced, in
//! one transaction; rotating a refresh token marks the old one consumed in
//! the same transaction that stores its successors, and only if it was
//! still unconsumed — so a token can be exchanged once.

use super::batch::{Batched, Column, InsertRows as _, Inserted, json_row};
use super::{Error, Result, Store, Topic, on_pool};
use crate::model::authn::{Amr, Authentication};
use crate::model::ids::{ClientId, GrantId, RefreshTokenId, UserId};
use crate::model::refresh_token::{RefreshState, RefreshStatus, RefreshToken, Rotation};
use crate::model::resource;
use crate::model::time::UnixSecs;
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
    /// When the approving person signed in (OpenID Connect `auth_time`).
    pub auth_time: Option<i64>,
    /// How they signed in (RFC 8176 `amr`, space-separated).
    pub amr: Option<String>,
    /// RFC 8707: the resources the person approved, in stored form
    /// (space-separated; empty for none). A refresh may narrow to them.
    pub resources: String,
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
    /// The DPoP key the grant's tokens were bound to (RFC 9449 §5).
    pub dpop_jkt: Option<String>,
}

/// A grant as its user sees it on /account.
#[derive(Debug, Clone)]
pub struct GrantView {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    /// RFC 8707: the APIs its tokens may be for (none: the issuer's own).
    pub resources: Vec<String>,
    pub device_label: Option<String>,
    pub requester_ip: Option<String>,
    pub created_at: i64,
    pub last_used_at: i64,
}

#[derive(sqlx::FromRow)]
struct GrantViewRow {
    id: String,
    client_id: String,
    client_name: String,
    scope: String,
    resources: String,
    device_label: Option<String>,
    requester_ip: Option<String>,
    created_at: i64,
    last_used_at: i64,
}

impl From<GrantViewRow> for GrantView {
    fn from(r: GrantViewRow) -> Self {
        Self {
            resources: resource::from_stored(&r.resources),
            id: r.id,
            client_id: r.client_id,
            client_name: r.client_name,
            scope: r.scope,
            device_label: r.device_label,
            requester_ip: r.requester_ip,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        }
    }
}

/// A refresh token row with what decides whether it may be used.
#[derive(sqlx::FromRow)]
struct RefreshTokenRow {
    id: String,
    grant_id: String,
    client_id: String,
    user_id: String,
    username: String,
    scope: String,
    issued_at: i64,
    expires_at: i64,
    consumed_at: Option<i64>,
    revoked_at: Option<i64>,
    grant_revoked_at: Option<i64>,
    user_disabled: bool,
    client_disabled: bool,
    auth_time: i64,
    amr: Option<String>,
    grant_resources: String,
    dpop_jkt: Option<String>,
}

impl From<RefreshTokenRow> for RefreshToken {
    fn from(row: RefreshTokenRow) -> Self {
        RefreshToken {
            state: RefreshState::from_columns(
                row.consumed_at.map(UnixSecs),
                row.revoked_at.map(UnixSecs),
            ),
            id: RefreshTokenId::from(row.id),
            grant_id: GrantId::from(row.grant_id),
            client_id: ClientId::from(row.client_id),
            user_id: UserId::from(row.user_id),
            username: row.username,
            scope: row.scope,
            issued_at: UnixSecs(row.issued_at),
            expires_at: UnixSecs(row.expires_at),
            grant_revoked: row.grant_revoked_at.is_some(),
            user_disabled: row.user_disabled,
            client_disabled: row.client_disabled,
            authn: Authentication {
                time: UnixSecs(row.auth_time),
                amr: Amr::from_stored(row.amr.as_deref()),
            },
            resources: resource::from_stored(&row.grant_resources),
            dpop_jkt: row.dpop_jkt,
        }
    }
}

/// The condition on a `refresh_tokens` row for a token in `status`: the
/// states are columns there (`consumed_at`, `revoked_at`), named by the
/// model.
fn refresh_status_sql(status: RefreshStatus) -> &'static str {
    match status {
        RefreshStatus::Active => "consumed_at IS NULL AND revoked_at IS NULL",
        RefreshStatus::Rotated => "consumed_at IS NOT NULL AND revoked_at IS NULL",
        RefreshStatus::Revoked => "revoked_at IS NOT NULL",
    }
}

impl Batched for NewGrant {
    const TABLE: &'static str = "grants";
    const COLUMNS: &'static [Column] = &[
        Column::Text("id"),
        Column::Text("user_id"),
        Column::Text("client_id"),
        Column::Text("scope"),
        Column::Text("device_code_id"),
        Column::Text("device_label"),
        Column::Text("requester_ip"),
        Column::BigInt("created_at"),
        Column::BigInt("last_used_at"),
        Column::BigInt("auth_time"),
        Column::Text("amr"),
        Column::Text("resources"),
    ];

    fn key(&self) -> &str {
        &self.id
    }

    json_row!(g => g.id, g.user_id, g.client_id, g.scope, g.device_code_id, g.device_label,
        g.requester_ip, g.now, g.now, g.auth_time, g.amr, g.resources);
}

impl Batched for NewRefreshToken {
    const TABLE: &'static str = "refresh_tokens";
    const COLUMNS: &'static [Column] = &[
        Column::Text("id"),
        Column::Text("token_hash"),
        Column::Text("grant_id"),
        Column::Text("client_id"),
        Column::Text("user_id"),
        Column::Text("scope"),
        Column::BigInt("issued_at"),
        Column::BigInt("expires_at"),
        Column::Text("dpop_jkt"),
    ];

    fn key(&self) -> &str {
        &self.id
    }

    json_row!(r => r.id, r.token_hash, r.grant_id, r.client_id, r.user_id, r.scope, r.issued_at,
        r.expires_at, r.dpop_jkt);
}

impl Batched for NewAccessToken {
    const TABLE: &'static str = "access_tokens";
    const COLUMNS: &'static [Column] = &[
        Column::Text("jti"),
        Column::Text("user_id"),
        Column::Text("client_id"),
        Column::Text("scope"),
        Column::Text("device_code_id"),
        Column::Text("grant_id"),
        Column::BigInt("issued_at"),
        Column::BigInt("expires_at"),
        Column::Text("audience"),
        Column::Text("dpop_jkt"),
    ];
    const KEY: &'static str = "jti";

    fn key(&self) -> &str {
        &self.jti
    }

    json_row!(a => a.jti, a.user_id, a.client_id, a.scope, a.device_code_id, a.grant_id,
        a.issued_at, a.expires_at, a.audience, a.dpop_jkt);
}

impl Store {
    /// Active grants of a user, most recently used first.
    pub async fn list_user_grants(&self, user_id: &str) -> Result<Vec<GrantView>> {
        let rows: Vec<GrantViewRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT g.id, g.client_id, c.name AS client_name, g.scope, g.resources, \
                 g.device_label, g.requester_ip, g.created_at, g.last_used_at \
                 FROM grants g JOIN oauth_clients c ON c.id = g.client_id \
                 WHERE g.user_id = $1 AND g.revoked_at IS NULL \
                 ORDER BY g.last_used_at DESC, g.id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(GrantView::from).collect())
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

    pub async fn find_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>> {
        let row: Option<RefreshTokenRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT r.id, r.grant_id, r.client_id, r.user_id, u.username, r.scope, r.issued_at, \
                 r.expires_at, r.consumed_at, r.revoked_at, g.revoked_at AS grant_revoked_at, \
                 u.disabled AS user_disabled, c.disabled AS client_disabled, \
                 COALESCE(g.auth_time, g.created_at) AS auth_time, g.amr, \
                 g.resources AS grant_resources, r.dpop_jkt \
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
        Ok(row.map(RefreshToken::from))
    }

    /// Writes `rotated` — a token the model just rotated — with its
    /// successors, once: `false` (nothing written) when the stored token
    /// had already left the state rotation leaves.
    pub async fn rotate_refresh_token(
        &self,
        rotated: &RefreshToken,
        access: &NewAccessToken,
        refresh: &NewRefreshToken,
    ) -> Result<bool> {
        let RefreshState::Rotated { at: now } = rotated.state else {
            return Err(Error::Batch(format!(
                "refresh token {} is not rotated",
                rotated.id
            )));
        };
        let sql = format!(
            "UPDATE refresh_tokens SET consumed_at = $1 WHERE id = $2 AND {}",
            refresh_status_sql(Rotation::LEAVES)
        );
        on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            let won = sqlx::query(&sql)
            .bind(now.0)
            .bind(rotated.id.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !won {
                tx.rollback().await?;
                return Ok(false);
            }
            // A lost row would be a bug (fresh random keys): fail loudly.
            if tx.insert_rows(&[access]).await? != Inserted::All
                || tx.insert_rows(&[refresh]).await? != Inserted::All
            {
                return Err(Error::Conflict("token id taken".into()));
            }
            sqlx::query("UPDATE grants SET last_used_at = $1 WHERE id = $2")
                .bind(now.0)
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
