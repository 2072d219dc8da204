//! Clients that registered themselves (RFC 7591, RFC 7592): their
//! registration records, the administrators' decisions, updates and
//! deletion. Every write that changes what a client may do bumps the
//! clients' generation, so each instance's client cache (and, through
//! `NOTIFY`, every other instance's) drops its copy at once.

use super::{Error, NewClient, Result, Store, TokenOwner, Topic, on_pool};
use crate::model::client::{ClientKeys, ClientStatus, GrantTypes};
use crate::model::registration::{RegisteredMetadata, Registration};

/// A client registering itself, with what its registration records.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub client: NewClient,
    pub redirect_uris: Vec<String>,
    pub access_token_hash: String,
    pub requester_ip: Option<String>,
    pub user_agent: Option<String>,
    pub metadata: RegisteredMetadata,
    /// The most clients that may be pending at once (counting this one).
    pub max_pending: i64,
}

/// A registered client's new metadata (RFC 7592 §2.2).
#[derive(Debug, Clone)]
pub struct RegistrationUpdate<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub allowed_scopes: &'a str,
    pub refresh_tokens: bool,
    pub grant_types: &'a GrantTypes,
    pub keys: Option<&'a ClientKeys>,
    pub redirect_uris: &'a [String],
    pub metadata: &'a RegisteredMetadata,
    /// Whether an approved client goes back to pending.
    pub back_to_pending: bool,
    pub now: i64,
}

#[derive(sqlx::FromRow)]
struct RegistrationRow {
    client_id: String,
    access_token_hash: String,
    requester_ip: Option<String>,
    user_agent: Option<String>,
    metadata: String,
    registered_at: i64,
    updated_at: i64,
}

impl TryFrom<RegistrationRow> for Registration {
    type Error = Error;

    fn try_from(row: RegistrationRow) -> Result<Self> {
        let metadata = serde_json::from_str(&row.metadata)
            .map_err(|e| Error::Corrupt(format!("registration of {}: {e}", row.client_id)))?;
        Ok(Registration {
            client_id: row.client_id,
            access_token_hash: row.access_token_hash,
            requester_ip: row.requester_ip,
            user_agent: row.user_agent,
            metadata,
            registered_at: row.registered_at,
            updated_at: row.updated_at,
        })
    }
}

fn json(metadata: &RegisteredMetadata) -> Result<String> {
    serde_json::to_string(metadata).map_err(|e| Error::Corrupt(format!("metadata: {e}")))
}

impl Store {
    /// Records a pending client, its redirect URIs and its registration in
    /// one transaction. `false` (and nothing written) when `max_pending`
    /// clients are pending already: the count and the insert are one
    /// statement, so on SQLite's single writer the ceiling holds exactly
    /// (on PostgreSQL concurrent registrations may pass it by a few).
    pub async fn register_client(&self, r: &NewRegistration) -> Result<bool> {
        let (jwks, jwks_uri) = ClientKeys::to_stored(r.client.keys.as_ref());
        let metadata = json(&r.metadata)?;
        let pending = ClientStatus::Pending.as_str();
        let inserted = on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "INSERT INTO oauth_clients \
                 (id, name, secret_hash, allowed_scopes, disabled, refresh_tokens, grant_types, \
                 created_at, updated_at, jwks, jwks_uri, status) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11 \
                 WHERE (SELECT COUNT(*) FROM oauth_clients WHERE status = $11) < $12",
            )
            .bind(&r.client.id)
            .bind(&r.client.name)
            .bind(&r.client.secret_hash)
            .bind(&r.client.allowed_scopes)
            .bind(false)
            .bind(r.client.refresh_tokens)
            .bind(r.client.grant_types.to_string())
            .bind(r.client.now)
            .bind(jwks)
            .bind(jwks_uri)
            .bind(pending)
            .bind(r.max_pending)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                for uri in &r.redirect_uris {
                    sqlx::query("INSERT INTO client_redirect_uris (client_id, uri) VALUES ($1, $2)")
                        .bind(&r.client.id)
                        .bind(uri)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO client_registrations \
                     (client_id, access_token_hash, requester_ip, user_agent, metadata, \
                     registered_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                )
                .bind(&r.client.id)
                .bind(&r.access_token_hash)
                .bind(&r.requester_ip)
                .bind(&r.user_agent)
                .bind(&metadata)
                .bind(r.client.now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            n == 1
        });
        if inserted {
            self.changed(Topic::Clients).await;
        }
        Ok(inserted)
    }

    /// How `client_id` registered itself; `None` for clients an
    /// administrator made (and unknown ones).
    pub async fn find_registration(&self, client_id: &str) -> Result<Option<Registration>> {
        let row: Option<RegistrationRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT client_id, access_token_hash, requester_ip, user_agent, metadata, \
                 registered_at, updated_at FROM client_registrations WHERE client_id = $1",
            )
            .bind(client_id)
            .fetch_optional(pool)
            .await?
        });
        row.map(Registration::try_from).transpose()
    }

    /// Replaces a registered client's metadata (RFC 7592 §2.2) in one
    /// transaction; an approved client goes back to pending when
    /// `back_to_pending`. `false` when the client is gone.
    pub async fn update_registered_client(&self, u: &RegistrationUpdate<'_>) -> Result<bool> {
        let (jwks, jwks_uri) = ClientKeys::to_stored(u.keys);
        let metadata = json(u.metadata)?;
        let updated = on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE oauth_clients SET name = $1, allowed_scopes = $2, refresh_tokens = $3, \
                 grant_types = $4, jwks = $5, jwks_uri = $6, updated_at = $7, \
                 status = CASE WHEN $8 AND status = $9 THEN $10 ELSE status END \
                 WHERE id = $11",
            )
            .bind(u.name)
            .bind(u.allowed_scopes)
            .bind(u.refresh_tokens)
            .bind(u.grant_types.to_string())
            .bind(jwks)
            .bind(jwks_uri)
            .bind(u.now)
            .bind(u.back_to_pending)
            .bind(ClientStatus::Approved.as_str())
            .bind(ClientStatus::Pending.as_str())
            .bind(u.client_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query("DELETE FROM client_redirect_uris WHERE client_id = $1")
                    .bind(u.client_id)
                    .execute(&mut *tx)
                    .await?;
                for uri in u.redirect_uris {
                    sqlx::query("INSERT INTO client_redirect_uris (client_id, uri) VALUES ($1, $2)")
                        .bind(u.client_id)
                        .bind(uri)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "UPDATE client_registrations SET metadata = $1, updated_at = $2 \
                     WHERE client_id = $3",
                )
                .bind(&metadata)
                .bind(u.now)
                .bind(u.client_id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            n == 1
        });
        if updated {
            self.changed(Topic::Clients).await;
        }
        Ok(updated)
    }

    /// An administrator's decision on a pending client: `to` approved
    /// (with the resources its tokens may be for) or rejected. `false` when
    /// the client is not pending (decided already, or gone): the `WHERE`
    /// names the state the decision leaves, so of two decisions at once
    /// only one wins.
    pub async fn decide_client(
        &self,
        client_id: &str,
        to: ClientStatus,
        resources: &[String],
        now: i64,
    ) -> Result<bool> {
        let decided = on_pool!(writer self, pool => {
            sqlx::query(
                "UPDATE oauth_clients SET status = $1, resources = $2, updated_at = $3 \
                 WHERE id = $4 AND status = $5",
            )
            .bind(to.as_str())
            .bind(crate::model::resource::to_stored(resources))
            .bind(now)
            .bind(client_id)
            .bind(ClientStatus::decidable_from().as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        if decided == 1 {
            self.changed(Topic::Clients).await;
        }
        Ok(decided == 1)
    }

    /// Revokes every token of `client_id`, then deletes the client (its
    /// codes, grants, consents and registration go with it). Returns how
    /// many access tokens were live, or `None` when there was no client.
    pub async fn delete_client(&self, client_id: &str, now: i64) -> Result<Option<u64>> {
        // Revoked first, so caches of checked tokens everywhere drop them
        // even before the rows disappear.
        let live = self
            .revoke_all_tokens_of(TokenOwner::Client(client_id), now)
            .await?;
        let n = on_pool!(writer self, pool => {
            sqlx::query("DELETE FROM oauth_clients WHERE id = $1")
                .bind(client_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        self.changed(Topic::Clients).await;
        self.changed(Topic::Tokens).await;
        Ok((n == 1).then_some(live))
    }

    /// How many clients wait for an administrator's decision.
    pub async fn count_pending_clients(&self) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM oauth_clients WHERE status = $1")
                .bind(ClientStatus::Pending.as_str())
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }
}
