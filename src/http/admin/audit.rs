//! `GET /admin/audit`: the audit log, filtered and paged.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use components::admin::audit::{AuditPage, EventRow, audit_page};
use components::admin::{Pager, Section};

use super::extract::AdminUser;
use super::render::{Frame, action_label, admin_page, audit_filter_options, when};
use crate::domain::admin::{self, AuditQuery, Ctx};
use crate::http::error::PageError;
use crate::http::paths::{self, with_query};
use crate::http::ui::render::query_param;
use crate::state::AppState;
use crate::store::{AuditListing, Cursor, PageAt};

/// Audit events as table rows.
pub fn event_rows(events: &[AuditListing], now: i64) -> Vec<EventRow<'_>> {
    events
        .iter()
        .map(|e| {
            let (label, hue) = action_label(&e.event.action);
            EventRow {
                when: when(e.event.at, now),
                action: &e.event.action,
                label,
                hue,
                actor: e.actor_name.as_deref().or(e.event.actor.as_deref()),
                target: e.event.target.as_deref(),
                client_id: e.event.client_id.as_deref(),
                ip: e.event.ip.as_deref(),
                detail: e.event.detail.as_deref(),
            }
        })
        .collect()
}

/// `?after=` (older) or `?before=` (newer) as a page position.
pub fn page_at(query: Option<&str>) -> PageAt {
    let cursor = |name| query_param(query, name).and_then(|c| Cursor::decode(&c));
    match (cursor("after"), cursor("before")) {
        (Some(c), _) => PageAt::Older(c),
        (None, Some(c)) => PageAt::Newer(c),
        (None, None) => PageAt::First,
    }
}

/// Newer/older links keeping the filters.
pub fn pager(
    path: &str,
    filters: &[(&str, &str)],
    newer: Option<&Cursor>,
    older: Option<&Cursor>,
) -> Pager {
    let link = |name: &str, c: &Cursor| {
        let encoded = c.encode();
        let mut pairs = filters.to_vec();
        pairs.push((name, &encoded));
        with_query(path, &pairs)
    };
    Pager::ByTime {
        newer: newer.map(|c| link("before", c)),
        older: older.map(|c| link("after", c)),
    }
}

fn nonempty(query: Option<&str>, name: &str) -> Option<String> {
    query_param(query, name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

pub async fn show(
    State(state): State<AppState>,
    admin: AdminUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let q = query.as_deref();
    let filter = AuditQuery {
        action: nonempty(q, "action"),
        actor: nonempty(q, "actor"),
        client_id: nonempty(q, "client"),
    };
    let page = admin::audit_log(&Ctx::of(&state.core), &filter, &page_at(q)).await?;
    let now = state.core.clock.now_secs();
    let action = filter.action.as_deref().unwrap_or("");
    let actor = filter.actor.as_deref().unwrap_or("");
    let client = filter.client_id.as_deref().unwrap_or("");
    let filters = [("action", action), ("actor", actor), ("client", client)];
    let mut options = vec![("", "All events")];
    options.extend(audit_filter_options());
    let retention_days = state.core.policy.audit_retention.as_secs() / 86_400;
    let retention = if retention_days >= 1 {
        format!("Events are kept for {retention_days} days, then deleted.")
    } else {
        format!(
            "Events are kept for {} hours, then deleted.",
            state.core.policy.audit_retention.as_secs() / 3_600
        )
    };
    let body = audit_page(&AuditPage {
        action,
        action_options: options,
        actor,
        client,
        rows: event_rows(&page.rows, now),
        pager: pager(
            paths::ADMIN_AUDIT,
            &filters,
            page.newer.as_ref(),
            page.older.as_ref(),
        ),
        form_action: paths::ADMIN_AUDIT,
        retention: &retention,
    });
    let frame = Frame::new(Section::Audit, "Audit log")
        .subtitle("Sign-ins, device decisions, tokens issued and revoked, and every admin action.");
    Ok(admin_page(&state, &admin, StatusCode::OK, frame, body))
}
