//! OAuth clients: the admin listing and changes.

use super::{Arg, Sql, bind_all, contains_pattern};
use crate::store::{Result, Store, Topic, on_pool};

/// A client as the admin list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientListing {
    pub id: String,
    pub name: String,
    pub confidential: bool,
    pub allowed_scopes: String,
    pub disabled: bool,
    pub refresh_tokens: bool,
    /// `pending`, `approved` or `rejected` (see `ClientStatus`).
    pub status: String,
    pub created_at: i64,
    pub active_tokens: i64,
}

impl Store {
    /// Clients waiting for approval first, then the others, by name, with
    /// their live token counts; `search` matches part of the name or id.
    pub async fn list_clients(
        &self,
        search: Option<&str>,
        now: i64,
        limit: i64,
    ) -> Result<Vec<ClientListing>> {
        let mut sql = Sql::new("");
        let n = sql.int(now);
        sql.push(&format!(
            "SELECT c.id, c.name, \
             (c.secret_hash IS NOT NULL OR c.jwks IS NOT NULL OR c.jwks_uri IS NOT NULL) \
             AS confidential, c.allowed_scopes, \
             c.disabled, c.refresh_tokens, c.status, c.created_at, \
             (SELECT COUNT(*) FROM access_tokens t WHERE t.client_id = c.id \
                AND t.revoked_at IS NULL AND t.expires_at > {n}) AS active_tokens \
             FROM oauth_clients c WHERE 1 = 1"
        ));
        if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
            let like = sql.text(&contains_pattern(search));
            sql.push(&format!(
                " AND (LOWER(c.name) LIKE {like} ESCAPE '\\' OR LOWER(c.id) LIKE {like} ESCAPE '\\')"
            ));
        }
        let l = sql.int(limit);
        let pending = sql.text(crate::model::client::ClientStatus::Pending.as_str());
        sql.push(&format!(
            " ORDER BY CASE WHEN c.status = {pending} THEN 0 ELSE 1 END, LOWER(c.name), c.id \
             LIMIT {l}"
        ));
        let rows = on_pool!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Every client's id and name, by name: the choices of the filters
    /// (without the token counts of [`Store::list_clients`]).
    pub async fn list_client_names(&self) -> Result<Vec<(String, String)>> {
        let rows = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, name FROM oauth_clients ORDER BY LOWER(name), id")
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// Changes a client's name, scopes and refresh-token setting.
    pub async fn update_client(
        &self,
        id: &str,
        name: &str,
        allowed_scopes: &str,
        refresh_tokens: bool,
        now: i64,
    ) -> Result<bool> {
        let n = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE oauth_clients SET name = $1, allowed_scopes = $2, refresh_tokens = $3, \
                 updated_at = $4 WHERE id = $5",
            )
            .bind(name)
            .bind(allowed_scopes)
            .bind(refresh_tokens)
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n > 0 {
            self.changed(Topic::Clients).await;
        }
        Ok(n == 1)
    }

    /// Disables or enables a client. `false` when it was already so.
    pub async fn set_client_disabled(&self, id: &str, disabled: bool, now: i64) -> Result<bool> {
        let n = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE oauth_clients SET disabled = $1, updated_at = $2 WHERE id = $3 AND disabled = $4",
            )
            .bind(disabled)
            .bind(now)
            .bind(id)
            .bind(!disabled)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n > 0 {
            self.changed(Topic::Clients).await;
            self.changed(Topic::Tokens).await;
        }
        Ok(n == 1)
    }

    /// Replaces a confidential client's secret hash. `false` for unknown
    /// and public clients.
    pub async fn set_client_secret_hash(&self, id: &str, hash: &str, now: i64) -> Result<bool> {
        let n = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE oauth_clients SET secret_hash = $1, updated_at = $2 \
                 WHERE id = $3 AND secret_hash IS NOT NULL",
            )
            .bind(hash)
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n > 0 {
            self.changed(Topic::Clients).await;
        }
        Ok(n == 1)
    }
}
