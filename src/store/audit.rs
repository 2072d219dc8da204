//! The audit log.

use super::{Result, Store, on_pool};

/// One audit event as written.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEvent {
    pub id: String,
    pub at: i64,
    /// What happened, e.g. `token.issued`, `refresh_token.reused`.
    pub action: &'static str,
    /// The user (id) or system part that acted.
    pub actor: Option<String>,
    pub client_id: Option<String>,
    /// What was acted on (a token id, grant id, username...).
    pub target: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

/// An audit event as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: String,
    pub at: i64,
    pub action: String,
    pub actor: Option<String>,
    pub client_id: Option<String>,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

impl Store {
    pub async fn insert_audit_event(&self, e: &NewAuditEvent) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO audit_events (id, at, action, actor, client_id, target, ip, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&e.id)
            .bind(e.at)
            .bind(e.action)
            .bind(&e.actor)
            .bind(&e.client_id)
            .bind(&e.target)
            .bind(&e.ip)
            .bind(&e.detail)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The newest events, optionally of one action only.
    pub async fn recent_audit_events(
        &self,
        action: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>> {
        let rows = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, at, action, actor, client_id, target, ip, detail FROM audit_events \
                 WHERE ($1 IS NULL OR action = $1) ORDER BY at DESC, id DESC LIMIT $2",
            )
            .bind(action)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}
