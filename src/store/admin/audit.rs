//! The audit log: the admin listing and retention.

use super::{Arg, Cursor, Page, PageAt, Sql, bind_all, finish, keyset};
use crate::model::audit::AuditAction;
use crate::store::{AuditEvent, Result, Store, on_pool};

/// An audit event with the name of whoever acted.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditListing {
    #[sqlx(flatten)]
    pub event: AuditEvent,
    pub actor_name: Option<String>,
}

/// The audit log's filter.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter<'a> {
    /// Any of these actions; empty for all.
    pub actions: &'a [AuditAction],
    /// The acting user's id.
    pub actor: Option<&'a str>,
    pub client_id: Option<&'a str>,
}

impl Store {
    /// One page of the audit log, newest first.
    pub async fn list_audit_events(
        &self,
        filter: &AuditFilter<'_>,
        at: &PageAt,
        limit: i64,
    ) -> Result<Page<AuditListing>> {
        let mut sql = Sql::new(
            "SELECT e.id, e.at, e.action, e.actor, e.client_id, e.target, e.ip, e.detail \
             FROM audit_events e WHERE 1 = 1",
        );
        if !filter.actions.is_empty() {
            let listed: Vec<String> = filter
                .actions
                .iter()
                .map(|a| sql.text(a.as_str()))
                .collect();
            sql.push(&format!(" AND e.action IN ({})", listed.join(", ")));
        }
        if let Some(actor) = filter.actor {
            let a = sql.text(actor);
            sql.push(&format!(" AND e.actor = {a}"));
        }
        if let Some(client) = filter.client_id {
            let c = sql.text(client);
            sql.push(&format!(" AND e.client_id = {c}"));
        }
        keyset(&mut sql, "e.at", "e.id", at, limit);
        let order = if matches!(at, PageAt::Newer(_)) {
            "ASC"
        } else {
            "DESC"
        };
        let text = format!(
            "SELECT p.id, p.at, p.action, p.actor, p.client_id, p.target, p.ip, p.detail, \
             u.username AS actor_name FROM ({}) p LEFT JOIN users u ON u.id = p.actor \
             ORDER BY p.at {order}, p.id {order}",
            sql.text
        );
        let rows: Vec<AuditListing> = on_pool!(self, pool => {
            bind_all!(sqlx::query_as(&text), &sql.args).fetch_all(pool).await?
        });
        Ok(finish(rows, at, limit, |e| Cursor {
            at: e.event.at,
            id: e.event.id.clone(),
        }))
    }

    /// Deletes audit events older than `cutoff` (Unix seconds).
    pub async fn delete_audit_events_before(&self, cutoff: i64) -> Result<u64> {
        let n = on_pool!(self, pool => {
            sqlx::query("DELETE FROM audit_events WHERE at < $1")
                .bind(cutoff)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n)
    }
}
