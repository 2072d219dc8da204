//! Authorization code rows, their single-use redemption, and the redirect
//! URIs clients registered.
//!
//! A row decodes into exactly one [`CodeState`]; a row that fits none is
//! [`Error::Corrupt`]. The redemption is one transaction whose `UPDATE`
//! names the state it leaves ([`CodeTransition::leaves`]) and requires the
//! code to be live: it either moves the code and stores the grant and
//! tokens with it, or changes nothing (another request won).

use super::batch::{InsertRows as _, Inserted};
use super::grants::{NewGrant, NewRefreshToken};
use super::{Error, Result, Store, Topic, on_pool};
use crate::model::authn::{Amr, Authentication};
use crate::model::authorization_code::{AuthorizationCode, CodeState, CodeTransition};
use crate::model::ids::{AuthorizationCodeId, ClientId, GrantId, UserId};
use crate::model::resource;
use crate::model::time::UnixSecs;
use crate::store::{NewAccessToken, NewAuditEvent};

/// A freshly issued code; `code_hash` is the SHA-256 of the code the
/// client receives, which itself is never stored.
#[derive(Debug, Clone)]
pub struct NewAuthorizationCode {
    pub id: AuthorizationCodeId,
    pub code_hash: String,
    pub client_id: ClientId,
    pub user_id: UserId,
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    /// RFC 9449 §10: the DPoP key the exchange must prove.
    pub dpop_jkt: Option<String>,
    pub authn: Authentication,
    pub created_at: UnixSecs,
    pub expires_at: UnixSecs,
    /// RFC 8707 resources the person approved (checked by the domain).
    pub resources: Vec<String>,
}

/// An `authorization_codes` row as selected.
#[derive(sqlx::FromRow)]
struct CodeRow {
    id: String,
    client_id: String,
    user_id: String,
    redirect_uri: String,
    redirect_uri_given: bool,
    scope: String,
    code_challenge: Option<String>,
    nonce: Option<String>,
    auth_time: i64,
    amr: Option<String>,
    created_at: i64,
    expires_at: i64,
    status: String,
    redeemed_at: Option<i64>,
    grant_id: Option<String>,
    resources: String,
    dpop_jkt: Option<String>,
}

impl TryFrom<CodeRow> for AuthorizationCode {
    type Error = Error;

    fn try_from(row: CodeRow) -> Result<Self> {
        let state = CodeState::from_columns(
            &row.status,
            row.redeemed_at.map(UnixSecs),
            row.grant_id.map(GrantId::from),
        )
        .ok_or_else(|| {
            Error::Corrupt(format!(
                "authorization code {} in status {} has inconsistent columns",
                row.id, row.status
            ))
        })?;
        Ok(AuthorizationCode {
            id: AuthorizationCodeId::from(row.id),
            client_id: ClientId::from(row.client_id),
            user_id: UserId::from(row.user_id),
            redirect_uri: row.redirect_uri,
            redirect_uri_given: row.redirect_uri_given,
            scope: row.scope,
            code_challenge: row.code_challenge,
            nonce: row.nonce,
            dpop_jkt: row.dpop_jkt,
            authn: Authentication {
                time: UnixSecs(row.auth_time),
                amr: Amr::from_stored(row.amr.as_deref()),
            },
            created_at: UnixSecs(row.created_at),
            expires_at: UnixSecs(row.expires_at),
            state,
            resources: resource::from_stored(&row.resources),
        })
    }
}

/// What a redemption stores beside the code's move: the grant, its tokens
/// and the audit event, all or nothing.
#[derive(Debug, Clone, Copy)]
pub struct CodeRedemption<'a> {
    pub grant: &'a NewGrant,
    pub access: &'a NewAccessToken,
    pub refresh: Option<&'a NewRefreshToken>,
    pub audit: Option<&'a NewAuditEvent>,
}

impl Store {
    /// Inserts a new, issued code.
    pub async fn insert_authorization_code(&self, code: &NewAuthorizationCode) -> Result<()> {
        let sql = format!(
            "INSERT INTO authorization_codes (id, code_hash, client_id, user_id, redirect_uri, \
             redirect_uri_given, scope, code_challenge, nonce, auth_time, amr, created_at, \
             expires_at, resources, dpop_jkt, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, '{}')",
            CodeTransition::Redeem.leaves().as_str()
        );
        on_pool!(writer self, pool => {
            sqlx::query(&sql)
                .bind(code.id.as_str())
                .bind(&code.code_hash)
                .bind(code.client_id.as_str())
                .bind(code.user_id.as_str())
                .bind(&code.redirect_uri)
                .bind(code.redirect_uri_given)
                .bind(&code.scope)
                .bind(&code.code_challenge)
                .bind(&code.nonce)
                .bind(code.authn.time.0)
                .bind(code.authn.amr.to_stored())
                .bind(code.created_at.0)
                .bind(code.expires_at.0)
                .bind(resource::to_stored(&code.resources))
                .bind(&code.dpop_jkt)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The code whose SHA-256 is `hash`, in whatever state.
    pub async fn find_authorization_code(&self, hash: &str) -> Result<Option<AuthorizationCode>> {
        let row: Option<CodeRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, client_id, user_id, redirect_uri, redirect_uri_given, scope, \
                 code_challenge, nonce, auth_time, amr, created_at, expires_at, status, redeemed_at, \
                 grant_id, resources, dpop_jkt FROM authorization_codes WHERE code_hash = $1",
            )
            .bind(hash)
            .fetch_optional(pool)
            .await?
        });
        row.map(AuthorizationCode::try_from).transpose()
    }

    /// Writes `redeemed` — a code the model just redeemed — with what
    /// `rows` holds, once: `false` (nothing written) when the stored code
    /// was no longer issued and live, because a concurrent redemption won.
    pub async fn redeem_authorization_code(
        &self,
        redeemed: &AuthorizationCode,
        rows: CodeRedemption<'_>,
    ) -> Result<bool> {
        let CodeState::Redeemed {
            redeemed_at,
            grant_id,
        } = &redeemed.state
        else {
            return Err(Error::Batch(format!(
                "authorization code {} is not redeemed",
                redeemed.id
            )));
        };
        let transition = CodeTransition::Redeem;
        let sql = format!(
            "UPDATE authorization_codes SET status = '{}', redeemed_at = $1, grant_id = $2 \
             WHERE id = $3 AND status = '{}' AND expires_at > $1",
            transition.enters().as_str(),
            transition.leaves().as_str()
        );
        on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            // First, so that on PostgreSQL a concurrent redemption waits
            // here for this one's commit and then changes nothing.
            let won = sqlx::query(&sql)
                .bind(redeemed_at.0)
                .bind(grant_id.as_str())
                .bind(redeemed.id.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if !won {
                tx.rollback().await?;
                return Ok(false);
            }
            // A lost row would be a bug (fresh random keys): fail loudly.
            let mut all = tx.insert_rows(&[rows.grant]).await? == Inserted::All
                && tx.insert_rows(&[rows.access]).await? == Inserted::All;
            if let Some(refresh) = rows.refresh {
                all = all && tx.insert_rows(&[refresh]).await? == Inserted::All;
            }
            if let Some(audit) = rows.audit {
                all = all && tx.insert_rows(&[audit]).await? == Inserted::All;
            }
            if !all {
                return Err(Error::Conflict("grant or token id taken".into()));
            }
            tx.commit().await?;
        });
        Ok(true)
    }

    /// Deletes codes that expired more than `retention_secs` ago.
    pub async fn delete_stale_authorization_codes(
        &self,
        now: i64,
        retention_secs: i64,
    ) -> Result<u64> {
        let n = on_pool!(writer self, pool => {
            sqlx::query("DELETE FROM authorization_codes WHERE expires_at < $1")
                .bind(now - retention_secs)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n)
    }

    /// The redirect URIs `client_id` registered, in the order given.
    pub async fn client_redirect_uris(&self, client_id: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT uri FROM client_redirect_uris WHERE client_id = $1 ORDER BY uri")
                .bind(client_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(uri,)| uri).collect())
    }

    /// Replaces the redirect URIs of `client_id` with `uris`.
    pub async fn set_client_redirect_uris(&self, client_id: &str, uris: &[String]) -> Result<()> {
        on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM client_redirect_uris WHERE client_id = $1")
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
            for uri in uris {
                sqlx::query("INSERT INTO client_redirect_uris (client_id, uri) VALUES ($1, $2)")
                    .bind(client_id)
                    .bind(uri)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        self.changed(Topic::Clients).await;
        Ok(())
    }

    /// Adds `uri` to the redirect URIs of `client_id` unless it is there
    /// already (safe when several instances start at once).
    pub async fn add_client_redirect_uri(&self, client_id: &str, uri: &str) -> Result<()> {
        on_pool!(writer self, pool => {
            sqlx::query(
                "INSERT INTO client_redirect_uris (client_id, uri) VALUES ($1, $2) \
                 ON CONFLICT (client_id, uri) DO NOTHING",
            )
            .bind(client_id)
            .bind(uri)
            .execute(pool)
            .await?;
        });
        self.changed(Topic::Clients).await;
        Ok(())
    }
}
