//! The audit log as administrators filter it.

use super::{Ctx, PAGE_SIZE};
use crate::domain::Result;
use crate::model::audit::{AuditAction, AuditCategory};
use crate::store::{AuditFilter, AuditListing, Page, PageAt};

/// The audit log's filter as an administrator states it.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// An [`AuditCategory::key`] or one action's stored form.
    pub action: Option<String>,
    /// The acting user's username.
    pub actor: Option<String>,
    pub client_id: Option<String>,
}

pub async fn audit_log(
    ctx: &Ctx<'_>,
    query: &AuditQuery,
    at: &PageAt,
) -> Result<Page<AuditListing>> {
    let empty = || Page {
        rows: Vec::new(),
        older: None,
        newer: None,
    };
    let actions: Vec<AuditAction> = match query.action.as_deref() {
        None => Vec::new(),
        Some(a) => match (AuditCategory::parse(a), AuditAction::parse(a)) {
            (Some(category), _) => category.actions().collect(),
            (None, Some(action)) => vec![action],
            // No event was ever recorded under an unknown name.
            (None, None) => return Ok(empty()),
        },
    };
    let actor_id = match query.actor.as_deref() {
        None => None,
        Some(name) => match ctx.store.find_user_by_username(name).await? {
            Some(user) => Some(user.id),
            None => return Ok(empty()),
        },
    };
    let filter = AuditFilter {
        actions: &actions,
        actor: actor_id.as_deref(),
        client_id: query.client_id.as_deref(),
    };
    Ok(ctx.store.list_audit_events(&filter, at, PAGE_SIZE).await?)
}
