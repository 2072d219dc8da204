//! `GET /admin` and its live part `GET /admin/live`.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use components::admin::Section;
use components::admin::audit::EventRow;
use components::admin::overview::{self as view, OverviewLive, Stat};
use maud::Markup;

use super::audit::event_rows;
use super::extract::AdminUser;
use super::render::{Frame, admin_page, live_answer, live_url};
use crate::domain::admin::{self, Ctx, Overview};
use crate::http::error::PageError;
use crate::http::paths::{self, with_query};
use crate::state::AppState;

fn stats(o: &Overview) -> [Vec<Stat<'static>>; 3] {
    let c = &o.counts;
    let codes = |status: &str| with_query(paths::ADMIN_DEVICE_CODES, &[("status", status)]);
    let tokens = |status: &str| with_query(paths::ADMIN_TOKENS, &[("status", status)]);
    let stat = |label, value, href| Stat { label, value, href };
    [
        vec![
            stat("Pending", c.pending, codes("pending")),
            stat("Approved", c.approved, codes("approved")),
            stat("Denied", c.denied, codes("denied")),
            stat("Expired", c.expired, codes("expired")),
        ],
        vec![
            stat("Active", c.active_tokens, tokens("active")),
            stat("Revoked", c.revoked_tokens, tokens("revoked")),
        ],
        vec![
            stat("Users", c.users, paths::ADMIN_USERS.to_owned()),
            stat("Clients", c.clients, paths::ADMIN_CLIENTS.to_owned()),
        ],
    ]
}

/// What the announcer says: the numbers people act on.
fn summary(o: &Overview) -> String {
    let c = &o.counts;
    format!(
        "{} pending device {}, {} active {}.",
        c.pending,
        if c.pending == 1 {
            "request"
        } else {
            "requests"
        },
        c.active_tokens,
        if c.active_tokens == 1 {
            "token"
        } else {
            "tokens"
        }
    )
}

/// The live part, its URL (carrying its version) and the summary.
async fn live_part(state: &AppState) -> Result<(Markup, String, String), PageError> {
    let overview = admin::overview(&Ctx::of(&state.core)).await?;
    let now = state.core.clock.now_secs();
    let [device_codes, tokens, accounts] = stats(&overview);
    let recent: Vec<EventRow<'_>> = event_rows(&overview.recent, now);
    let inner = view::overview_inner(&OverviewLive {
        device_codes,
        tokens,
        accounts,
        recent,
        audit_href: paths::ADMIN_AUDIT,
    });
    let summary = summary(&overview);
    let url = live_url(paths::ADMIN_LIVE, &[], &inner, &summary);
    Ok((inner, url, summary))
}

pub async fn show(State(state): State<AppState>, admin: AdminUser) -> Result<Response, PageError> {
    let (inner, url, summary) = live_part(&state).await?;
    let frame =
        Frame::new(Section::Overview, "Overview").subtitle("What AuthGate is doing right now.");
    Ok(admin_page(
        &state,
        &admin,
        StatusCode::OK,
        frame,
        view::overview(&url, &summary, inner),
    ))
}

/// Polled every 5 s: 204 while nothing changed, else the new part and
/// an updated announcement.
pub async fn live_update(
    State(state): State<AppState>,
    _admin: AdminUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let (inner, url, summary) = live_part(&state).await?;
    Ok(live_answer(
        query.as_deref(),
        view::LIVE_ID,
        &url,
        inner,
        view::STATUS_ID,
        &summary,
    ))
}
