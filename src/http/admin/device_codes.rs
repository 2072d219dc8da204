//! `/admin/device-codes`: the live table of device requests, and denying
//! a pending one.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use components::admin::device_codes::{self as view, CodeRow, CodesPage};
use components::admin::{Pager, Section, live, live_status_update};
use components::feedback::{Tone, alert};
use maud::{Markup, html};

use super::extract::{AdminUser, IdPath, current_page};
use super::render::{
    Frame, admin_page, device_status, fragment, live_answer, live_url, notice, when,
};
use crate::domain::admin::{self, Ctx, DeviceCodeEntry};
use crate::domain::{Error, user_agent};
use crate::http::error::PageError;
use crate::http::paths::{self, with_id, with_query};
use crate::http::ui::login::Empty;
use crate::http::ui::render::{is_htmx, query_param};
use crate::http::ui::session::CsrfForm;
use crate::model::Standing;
use crate::model::UserCode;
use crate::state::AppState;
use crate::store::{CodeCursor, DeviceCodeFilter};

/// The element that shows the outcome of a Deny without a reload.
const NOTICE_ID: &str = "device-codes-notice";

const ALREADY_DECIDED: &str = "That request was already decided or has expired.";

fn denied_message(user_code: &str) -> String {
    format!("Request {user_code} denied. The device is refused at its next poll.")
}

/// The status and client filters of a query string.
fn filters(query: Option<&str>) -> (Option<Standing>, Option<String>) {
    let status = query_param(query, "status").and_then(|s| Standing::parse(&s));
    let client = query_param(query, "client").filter(|c| !c.is_empty());
    (status, client)
}

fn rows(entries: &[DeviceCodeEntry], now: i64) -> Vec<CodeRow<'_>> {
    entries
        .iter()
        .map(|e| {
            let code = &e.listing.code;
            let (status, hue) = device_status(e.status);
            CodeRow {
                user_code: code.user_code.display(),
                client_name: &e.listing.client_name,
                client_id: &code.client_id,
                status,
                hue,
                scope: &code.scope,
                address: code.requester_ip.as_deref(),
                device: user_agent::describe(code.user_agent.as_deref()),
                user_agent: code.user_agent.as_deref(),
                requested: when(code.created_at.0, now),
                last_poll: code.last_poll_at_ms.map(|ms| when(ms.as_secs().0, now)),
                decided_by: e.listing.decided_by.as_deref(),
                expires: when(code.expires_at.0, now),
                cancel_action: (e.status == Standing::Pending)
                    .then(|| with_id(paths::ADMIN_DEVICE_CODE_CANCEL, &code.id)),
            }
        })
        .collect()
}

fn summary(pending: u64) -> String {
    match pending {
        0 => "No pending device requests.".to_owned(),
        1 => "1 pending device request.".to_owned(),
        n => format!("{n} pending device requests."),
    }
}

/// `?after=`: where the page starts. A cursor that does not decode is
/// ignored (the first page), as the token and audit lists do.
fn page_start(query: Option<&str>) -> Option<CodeCursor> {
    query_param(query, "after").and_then(|c| CodeCursor::decode(&c))
}

/// The live table for `query`'s filters and page: markup, polling URL,
/// summary, and the pager.
async fn live_part(
    state: &AppState,
    admin: &AdminUser,
    query: Option<&str>,
) -> Result<(Markup, String, String, Pager), PageError> {
    let (status, client) = filters(query);
    let after = page_start(query);
    let page = admin::device_codes(
        &Ctx::of(&state.core),
        &DeviceCodeFilter {
            status,
            client_id: client.as_deref(),
        },
        after.as_ref(),
    )
    .await?;
    let now = state.core.clock.now_secs();
    let inner = view::codes_table(&rows(&page.entries, now), &admin.web.csrf);
    let summary = summary(page.pending);
    let status = status.map(Standing::as_str).unwrap_or("");
    let client = client.as_deref().unwrap_or("");
    let after = after.map(|c| c.encode()).unwrap_or_default();
    let filters = [("status", status), ("client", client)];
    let mut polled = filters.to_vec();
    polled.push(("after", &after));
    let url = live_url(paths::ADMIN_DEVICE_CODES_LIVE, &polled, &inner, &summary);
    let pager = Pager::ByName {
        first: (!after.is_empty()).then(|| with_query(paths::ADMIN_DEVICE_CODES, &filters)),
        next: page.next.map(|c| {
            let mut pairs = filters.to_vec();
            let encoded = c.encode();
            pairs.push(("after", &encoded));
            with_query(paths::ADMIN_DEVICE_CODES, &pairs)
        }),
    };
    Ok((inner, url, summary, pager))
}

pub async fn show(
    State(state): State<AppState>,
    admin: AdminUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let q = query.as_deref();
    let (inner, url, summary, pager) = live_part(&state, &admin, q).await?;
    let (status, client) = filters(q);
    let clients = admin::client_choices(&Ctx::of(&state.core)).await?;
    let mut status_options = vec![("", "All")];
    status_options.extend([
        ("pending", "Pending"),
        ("approved", "Approved"),
        ("denied", "Denied"),
        ("redeemed", "Redeemed"),
        ("expired", "Expired"),
    ]);
    let mut client_options = vec![("", "All clients")];
    client_options.extend(
        clients
            .iter()
            .map(|(id, name)| (id.as_str(), name.as_str())),
    );
    // Only a well-formed code is echoed back.
    let denied = query_param(q, "denied")
        .and_then(|c| UserCode::parse(&c))
        .map(|c| denied_message(&c.display()));
    let message = denied
        .as_deref()
        .or_else(|| notice(q, &[("refused", ALREADY_DECIDED)]));
    let tone = if query_param(q, "refused").is_some() {
        Tone::Error
    } else {
        Tone::Success
    };
    let body = html! {
        div id=(NOTICE_ID) { @if let Some(m) = message { (alert(tone, m)) } }
        (view::codes_page(&CodesPage {
            form_action: paths::ADMIN_DEVICE_CODES,
            status: status.map(Standing::as_str).unwrap_or(""),
            status_options,
            client: client.as_deref().unwrap_or(""),
            client_options,
            live_url: &url,
            summary: &summary,
            pager,
        }, inner))
    };
    let frame = Frame::new(Section::DeviceCodes, "Device codes").subtitle(
        "Pending and recent device requests: who asked, from where, and what became of it.",
    );
    Ok(admin_page(&state, &admin, StatusCode::OK, frame, body))
}

pub async fn live_update(
    State(state): State<AppState>,
    admin: AdminUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let q = query.as_deref();
    let (inner, url, summary, _) = live_part(&state, &admin, q).await?;
    Ok(live_answer(
        q,
        view::LIVE_ID,
        &url,
        inner,
        view::STATUS_ID,
        &summary,
    ))
}

/// `POST /admin/device-codes/{id}/cancel`: denies a pending request. From
/// htmx, answers the refreshed table and a notice; otherwise redirects.
pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let (tone, message, denied) =
        match admin::cancel_device_code(&Ctx::of(&state.core), &admin.actor(), &id).await {
            Ok(code) => {
                let shown = code.user_code.display();
                (Tone::Success, denied_message(&shown), Some(shown))
            }
            Err(Error::InvalidRequest(_)) => (Tone::Error, ALREADY_DECIDED.to_owned(), None),
            Err(e) => return Err(e.into()),
        };
    if !is_htmx(&headers) {
        let target = match &denied {
            Some(code) => with_query(paths::ADMIN_DEVICE_CODES, &[("denied", code)]),
            None => with_query(paths::ADMIN_DEVICE_CODES, &[("refused", "1")]),
        };
        return Ok(Redirect::to(&target).into_response());
    }
    // The table is redrawn with the filters of the page it is on.
    let page = current_page(&headers).unwrap_or_default();
    let query = page.split_once('?').map(|(_, q)| q);
    let (inner, url, _, _) = live_part(&state, &admin, query).await?;
    Ok(fragment(html! {
        (live(view::LIVE_ID, &url, inner))
        (live_status_update(view::STATUS_ID, &message))
        div id=(NOTICE_ID) hx-swap-oob="true" { (alert(tone, &message)) }
    }))
}
