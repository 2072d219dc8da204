//! The audit log as administrators filter it.

use super::{Ctx, PAGE_SIZE};
use crate::domain::Result;
use crate::store::{AuditFilter, AuditListing, Page, PageAt};

/// A group of audit actions to filter by.
#[derive(Debug, Clone, Copy)]
pub struct AuditCategory {
    pub key: &'static str,
    pub label: &'static str,
    /// Action prefixes, each ending with a dot.
    pub prefixes: &'static [&'static str],
}

pub const AUDIT_CATEGORIES: [AuditCategory; 4] = [
    AuditCategory {
        key: "sign-in",
        label: "Sign-ins",
        prefixes: &["auth."],
    },
    AuditCategory {
        key: "device",
        label: "Device approvals and denials",
        prefixes: &["device.", "user_code."],
    },
    AuditCategory {
        key: "tokens",
        label: "Tokens issued and revoked",
        prefixes: &["token.", "refresh_token.", "grant."],
    },
    AuditCategory {
        key: "admin",
        label: "Admin actions",
        prefixes: &["admin."],
    },
];

/// The audit log's filter as an administrator states it.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// A category key or one exact action.
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
    let exact: [&str; 1];
    let actions: &[&str] = match query.action.as_deref() {
        None => &[],
        Some(a) => match AUDIT_CATEGORIES.iter().find(|c| c.key == a) {
            Some(category) => category.prefixes,
            None if a.len() <= 64
                && a.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
                && !a.ends_with('.') =>
            {
                exact = [a];
                &exact
            }
            None => return Ok(empty()),
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
        actions,
        actor: actor_id.as_deref(),
        client_id: query.client_id.as_deref(),
    };
    Ok(ctx.store.list_audit_events(&filter, at, PAGE_SIZE).await?)
}
