//! The audit log.

use super::batch::{Batched, Column, json_row};
use super::{Error, Result, Store, on_pool};
use crate::model::audit::AuditAction;

/// One audit event as written.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub id: String,
    pub at: i64,
    /// What happened; stored as [`AuditAction::as_str`].
    pub action: AuditAction,
    /// The user (id) or system part that acted.
    pub actor: Option<String>,
    pub client_id: Option<String>,
    /// What was acted on (a token id, grant id, username...).
    pub target: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

impl NewAuditEvent {
    /// An event of `action` with nothing else said yet; its id and time
    /// are filled in when it is stamped (`domain::audit`).
    pub fn new(action: AuditAction) -> Self {
        Self {
            id: String::new(),
            at: 0,
            action,
            actor: None,
            client_id: None,
            target: None,
            ip: None,
            detail: None,
        }
    }
}

impl Batched for NewAuditEvent {
    const TABLE: &'static str = "audit_events";
    const COLUMNS: &'static [Column] = &[
        Column::Text("id"),
        Column::BigInt("at"),
        Column::Text("action"),
        Column::Text("actor"),
        Column::Text("client_id"),
        Column::Text("target"),
        Column::Text("ip"),
        Column::Text("detail"),
    ];

    fn key(&self) -> &str {
        &self.id
    }

    json_row!(e => e.id, e.at, e.action.as_str(), e.actor, e.client_id, e.target, e.ip, e.detail);
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
    /// Writes one event; concurrent events share a statement (writer/).
    pub async fn insert_audit_event(&self, e: &NewAuditEvent) -> Result<()> {
        let inserted = self
            .grouped
            .submit(|reply| super::writer::Job::Audit {
                row: Box::new(e.clone()),
                reply,
            })
            .await?;
        match inserted {
            true => Ok(()),
            false => Err(Error::Conflict(format!("audit event {} exists", e.id))),
        }
    }

    /// The newest events, optionally of one action only.
    pub async fn recent_audit_events(
        &self,
        action: Option<AuditAction>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>> {
        let rows = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, at, action, actor, client_id, target, ip, detail FROM audit_events \
                 WHERE ($1 IS NULL OR action = $1) ORDER BY at DESC, id DESC LIMIT $2",
            )
            .bind(action.map(AuditAction::as_str))
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}
