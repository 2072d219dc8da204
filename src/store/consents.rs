//! Remembered consents: one row per person and application.
//!
//! Saving is an upsert on the (user, client) key, so two approvals racing
//! leave one row; the scope it holds is what the domain computed (the
//! union with the previous one). Two approvals in the same instant may each
//! write only their own union: the person is then asked again for what the
//! other added, never given more than they approved. Revoking a consent also revokes every
//! grant of that person to that application, with their tokens, in the
//! same transaction.

use super::{Error, Result, Store, Topic, on_pool};
use crate::model::consent::{Consent, ConsentView};
use crate::model::ids::{ClientId, UserId};
use crate::model::resource;
use crate::model::scope::Scopes;
use crate::model::time::UnixSecs;

#[derive(sqlx::FromRow)]
struct ConsentRow {
    user_id: String,
    client_id: String,
    scope: String,
    resources: String,
    granted_at: i64,
    last_used_at: i64,
}

#[derive(sqlx::FromRow)]
struct ConsentViewRow {
    client_id: String,
    client_name: String,
    scope: String,
    resources: String,
    granted_at: i64,
    last_used_at: i64,
}

fn scopes(scope: &str, client_id: &str) -> Result<Scopes> {
    Scopes::parse(scope).map_err(|e| Error::Corrupt(format!("consent for {client_id}: {e}")))
}

impl Store {
    /// The consent `user_id` gave `client_id`, if any.
    pub async fn find_consent(&self, user_id: &str, client_id: &str) -> Result<Option<Consent>> {
        let row: Option<ConsentRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT user_id, client_id, scope, resources, granted_at, last_used_at FROM consents \
                 WHERE user_id = $1 AND client_id = $2",
            )
            .bind(user_id)
            .bind(client_id)
            .fetch_optional(pool)
            .await?
        });
        row.map(|r| {
            Ok(Consent {
                scope: scopes(&r.scope, &r.client_id)?,
                resources: resource::from_stored(&r.resources),
                user_id: UserId::from(r.user_id),
                client_id: ClientId::from(r.client_id),
                granted_at: UnixSecs(r.granted_at),
                last_used_at: UnixSecs(r.last_used_at),
            })
        })
        .transpose()
    }

    /// Stores that `user_id` consents to `scope` and `resources` for
    /// `client_id` as of `now` (replacing those of an earlier consent).
    pub async fn save_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scope: &Scopes,
        resources: &[String],
        now: UnixSecs,
    ) -> Result<()> {
        on_pool!(writer self, pool => {
            sqlx::query(
                "INSERT INTO consents (user_id, client_id, scope, resources, granted_at, last_used_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (user_id, client_id) \
                 DO UPDATE SET scope = excluded.scope, resources = excluded.resources, \
                 granted_at = excluded.granted_at, last_used_at = excluded.last_used_at",
            )
            .bind(user_id)
            .bind(client_id)
            .bind(scope.to_string())
            .bind(resource::to_stored(resources))
            .bind(now.0)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Notes that the consent answered a request at `now`.
    pub async fn touch_consent(&self, user_id: &str, client_id: &str, now: UnixSecs) -> Result<()> {
        on_pool!(writer self, pool => {
            sqlx::query(
                "UPDATE consents SET last_used_at = $1 WHERE user_id = $2 AND client_id = $3",
            )
            .bind(now.0)
            .bind(user_id)
            .bind(client_id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Every consent of `user_id`, most recently used first.
    pub async fn list_user_consents(&self, user_id: &str) -> Result<Vec<ConsentView>> {
        let rows: Vec<ConsentViewRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT s.client_id, c.name AS client_name, s.scope, s.resources, s.granted_at, \
                 s.last_used_at \
                 FROM consents s JOIN oauth_clients c ON c.id = s.client_id \
                 WHERE s.user_id = $1 ORDER BY s.last_used_at DESC, s.client_id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(ConsentView {
                    scope: scopes(&r.scope, &r.client_id)?,
                    resources: resource::from_stored(&r.resources),
                    client_id: ClientId::from(r.client_id),
                    client_name: r.client_name,
                    granted_at: UnixSecs(r.granted_at),
                    last_used_at: UnixSecs(r.last_used_at),
                })
            })
            .collect()
    }

    /// Ends the consent of `user_id` for `client_id` and revokes every live
    /// grant of theirs to that client with its access and refresh tokens.
    /// `false` when there was no consent (nothing is changed then).
    pub async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
        now: UnixSecs,
    ) -> Result<bool> {
        on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            let deleted = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
                .bind(user_id)
                .bind(client_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            for sql in REVOKE_USER_CLIENT {
                sqlx::query(sql)
                    .bind(now.0)
                    .bind(user_id)
                    .bind(client_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        self.changed(Topic::Tokens).await;
        Ok(true)
    }

    /// Revokes every live grant of `user_id` to `client_id` with its access
    /// and refresh tokens (the consent stays); how many grants it ended.
    pub async fn revoke_user_client_grants(
        &self,
        user_id: &str,
        client_id: &str,
        now: UnixSecs,
    ) -> Result<u64> {
        let ended = on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            let mut counts = Vec::with_capacity(REVOKE_USER_CLIENT.len());
            for sql in REVOKE_USER_CLIENT {
                counts.push(
                    sqlx::query(sql)
                        .bind(now.0)
                        .bind(user_id)
                        .bind(client_id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected(),
                );
            }
            tx.commit().await?;
            counts.last().copied().unwrap_or(0)
        });
        if ended > 0 {
            self.changed(Topic::Tokens).await;
        }
        Ok(ended)
    }
}

/// Revokes the tokens, then the grants, of one user (`$2`) to one client
/// (`$3`) at `$1`; the last statement counts the grants ended.
const REVOKE_USER_CLIENT: [&str; 3] = [
    "UPDATE access_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND grant_id IN \
     (SELECT id FROM grants WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL)",
    "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND grant_id IN \
     (SELECT id FROM grants WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL)",
    "UPDATE grants SET revoked_at = $1 WHERE user_id = $2 AND client_id = $3 \
     AND revoked_at IS NULL",
];
