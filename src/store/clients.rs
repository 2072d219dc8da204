//! OAuth client rows.

use super::{Error, Result, Store, Topic, on_pool};
use crate::model::client::{Client, ClientKeys, ClientStatus, GrantTypes};
use crate::model::scope::Scopes;

/// A client to register. `secret_hash` is `None` for public clients.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    /// Public keys of a client authenticating with `private_key_jwt`.
    pub keys: Option<ClientKeys>,
    pub allowed_scopes: String,
    /// Whether the device grant also issues refresh tokens.
    pub refresh_tokens: bool,
    pub grant_types: GrantTypes,
    pub now: i64,
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: String,
    name: String,
    secret_hash: Option<String>,
    allowed_scopes: String,
    disabled: bool,
    refresh_tokens: bool,
    grant_types: String,
    require_second_factor: bool,
    jwks: Option<String>,
    jwks_uri: Option<String>,
    resources: String,
    status: String,
    created_at: i64,
}

impl TryFrom<ClientRow> for Client {
    type Error = Error;

    fn try_from(row: ClientRow) -> Result<Self> {
        let allowed_scopes = Scopes::parse(&row.allowed_scopes)
            .map_err(|e| Error::Corrupt(format!("client {}: {e}", row.id)))?;
        let grant_types = GrantTypes::parse(&row.grant_types)
            .map_err(|e| Error::Corrupt(format!("client {}: {e}", row.id)))?;
        let keys = ClientKeys::from_stored(row.jwks, row.jwks_uri)
            .map_err(|e| Error::Corrupt(format!("client {}: {e}", row.id)))?;
        let status = ClientStatus::parse(&row.status)
            .ok_or_else(|| Error::Corrupt(format!("client {}: status {:?}", row.id, row.status)))?;
        Ok(Client {
            keys,
            id: row.id.into(),
            name: row.name,
            secret_hash: row.secret_hash,
            allowed_scopes,
            disabled: row.disabled,
            refresh_tokens: row.refresh_tokens,
            grant_types,
            require_second_factor: row.require_second_factor,
            resources: crate::model::resource::from_stored(&row.resources),
            status,
            created_at: row.created_at,
        })
    }
}

const COLUMNS: &str = "id, name, secret_hash, allowed_scopes, disabled, refresh_tokens, \
    grant_types, require_second_factor, jwks, jwks_uri, resources, status, created_at";

impl Store {
    pub async fn find_client(&self, id: &str) -> Result<Option<Client>> {
        let sql = format!("SELECT {COLUMNS} FROM oauth_clients WHERE id = $1");
        let row: Option<ClientRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.map(Client::try_from).transpose()
    }

    pub async fn insert_client(&self, client: &NewClient) -> Result<()> {
        let (jwks, jwks_uri) = ClientKeys::to_stored(client.keys.as_ref());
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO oauth_clients \
                 (id, name, secret_hash, allowed_scopes, disabled, refresh_tokens, grant_types, \
                 created_at, updated_at, jwks, jwks_uri) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)",
            )
            .bind(&client.id)
            .bind(&client.name)
            .bind(&client.secret_hash)
            .bind(&client.allowed_scopes)
            .bind(false)
            .bind(client.refresh_tokens)
            .bind(client.grant_types.to_string())
            .bind(client.now)
            .bind(jwks)
            .bind(jwks_uri)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Every scope some enabled, approved client may request (for RFC 8414
    /// metadata): a client waiting for approval adds none.
    pub async fn all_client_scopes(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT allowed_scopes FROM oauth_clients WHERE disabled = $1 AND status = $2",
            )
                .bind(false)
                .bind(ClientStatus::Approved.as_str())
                .fetch_all(pool)
                .await?
        });
        let mut scopes: Vec<String> = rows
            .iter()
            .flat_map(|(s,)| s.split(' '))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }

    /// Replaces the RFC 8707 resources `client_id` may ask tokens for.
    pub async fn set_client_resources(&self, client_id: &str, resources: &[String]) -> Result<()> {
        on_pool!(writer self, pool => {
            sqlx::query("UPDATE oauth_clients SET resources = $1 WHERE id = $2")
                .bind(crate::model::resource::to_stored(resources))
                .bind(client_id)
                .execute(pool)
                .await?;
        });
        self.changed(Topic::Clients).await;
        Ok(())
    }

    /// Replaces the grants `client_id` may use.
    pub async fn set_client_grant_types(&self, client_id: &str, grants: &GrantTypes) -> Result<()> {
        on_pool!(writer self, pool => {
            sqlx::query("UPDATE oauth_clients SET grant_types = $1 WHERE id = $2")
                .bind(grants.to_string())
                .bind(client_id)
                .execute(pool)
                .await?;
        });
        self.changed(Topic::Clients).await;
        Ok(())
    }

    /// The post-logout redirect URIs `client_id` registered (OpenID
    /// Connect RP-Initiated Logout 1.0 §3).
    /// Sets whether approving `client_id`'s requests needs a second
    /// factor. `false` when the client is gone.
    pub async fn set_client_requires_second_factor(
        &self,
        client_id: &str,
        required: bool,
    ) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query("UPDATE oauth_clients SET require_second_factor = $1 WHERE id = $2")
                .bind(required)
                .bind(client_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if n > 0 {
            self.changed(Topic::Clients).await;
        }
        Ok(n == 1)
    }

    pub async fn client_post_logout_redirect_uris(&self, client_id: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT uri FROM client_post_logout_redirect_uris WHERE client_id = $1 ORDER BY uri",
            )
            .bind(client_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(uri,)| uri).collect())
    }

    /// Replaces the post-logout redirect URIs of `client_id` with `uris`.
    pub async fn set_client_post_logout_redirect_uris(
        &self,
        client_id: &str,
        uris: &[String],
    ) -> Result<()> {
        on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM client_post_logout_redirect_uris WHERE client_id = $1")
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
            for uri in uris {
                sqlx::query(
                    "INSERT INTO client_post_logout_redirect_uris (client_id, uri) VALUES ($1, $2)",
                )
                .bind(client_id)
                .bind(uri)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn count_clients(&self) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM oauth_clients").fetch_one(pool).await?
        });
        Ok(n)
    }
}

impl Store {
    /// Replaces the public keys `client_id` authenticates with (`None`:
    /// none). `false` when there is no such client.
    pub async fn set_client_keys(
        &self,
        client_id: &str,
        keys: Option<&ClientKeys>,
    ) -> Result<bool> {
        let (jwks, jwks_uri) = ClientKeys::to_stored(keys);
        let n = on_pool!(writer self, pool => {
            sqlx::query("UPDATE oauth_clients SET jwks = $1, jwks_uri = $2 WHERE id = $3")
                .bind(jwks)
                .bind(jwks_uri)
                .bind(client_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        self.changed(Topic::Clients).await;
        Ok(n == 1)
    }

    /// Records the `jti` of a client assertion until `expires_at`: `true`
    /// the first time, `false` when it was seen before (by any instance).
    pub async fn accept_client_assertion(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: i64,
    ) -> Result<bool> {
        self.first_use(
            "INSERT INTO client_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (client_id, jti) DO NOTHING",
            client_id,
            jti,
            expires_at,
        )
        .await
    }

    /// Records the `jti` of a DPoP proof by the key `jkt` until
    /// `expires_at`: `true` the first time, `false` when any instance saw
    /// it before (RFC 9449 §11.1).
    pub async fn accept_dpop_proof(&self, jkt: &str, jti: &str, expires_at: i64) -> Result<bool> {
        self.first_use(
            "INSERT INTO dpop_proofs (jkt, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (jkt, jti) DO NOTHING",
            jkt,
            jti,
            expires_at,
        )
        .await
    }

    /// Runs `insert`, an `INSERT ... ON CONFLICT DO NOTHING` of (`owner`,
    /// `jti`, `expires_at`): whether the row is new, i.e. this is the
    /// first use of that `jti` on any instance.
    async fn first_use(
        &self,
        insert: &'static str,
        owner: &str,
        jti: &str,
        expires_at: i64,
    ) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query(insert)
                .bind(owner)
                .bind(jti)
                .bind(expires_at)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Forgets DPoP proofs too old to be accepted anyway.
    pub async fn delete_expired_dpop_proofs(&self, now: i64) -> Result<u64> {
        self.delete_expired("DELETE FROM dpop_proofs WHERE expires_at < $1", now)
            .await
    }

    /// Forgets assertions that expired before `now` (they are refused for
    /// their expiry alone).
    pub async fn delete_expired_client_assertions(&self, now: i64) -> Result<u64> {
        self.delete_expired("DELETE FROM client_assertions WHERE expires_at < $1", now)
            .await
    }

    async fn delete_expired(&self, delete: &'static str, now: i64) -> Result<u64> {
        Ok(on_pool!(writer self, pool => {
            sqlx::query(delete)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
