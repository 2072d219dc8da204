//! `/account`: the signed-in user's own authorisations, and revoking them.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::account::{AccountPage, GrantRow, account};
use components::account_apps::{AppRow, AppsSection, apps_section};
use maud::html;
use serde::Deserialize;

use super::render::{html as html_response, page, query_param};
use super::session::{CsrfForm, SignedIn, safe_next};
use crate::domain::{Error, authorize, token};
use crate::http::error::PageError;
use crate::http::paths;
use crate::http::ui::login::Empty;
use crate::model::{resource, scope};
use crate::state::AppState;

pub async fn show(
    State(state): State<AppState>,
    SignedIn { web, user }: SignedIn,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let grants = state
        .core
        .store
        .list_user_grants(&user.id)
        .await
        .map_err(Error::from)?;
    let now = state.core.clock.now_secs();
    let rows: Vec<GrantRow<'_>> = grants
        .iter()
        .map(|g| GrantRow {
            app_name: &g.client_name,
            device: g.device_label.as_deref(),
            address: g.requester_ip.as_deref(),
            scopes: g
                .scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(scope::describe)
                .collect(),
            resources: resource::with_hosts(&g.resources),
            approved_secs_ago: (now - g.created_at).max(0),
            used_secs_ago: (now - g.last_used_at).max(0),
            revoke_action: paths::account_revoke(&g.id),
        })
        .collect();
    let notice = query_param(query.as_deref(), "revoked")
        .map(|_| "Access revoked. That device is signed out.");
    let saved = query_param(query.as_deref(), "profile").is_some();
    let profile = super::account_profile::card(&web.csrf, &user, None, None, saved);
    let consents = state
        .core
        .store
        .list_user_consents(&user.id)
        .await
        .map_err(Error::from)?;
    let apps = apps_section(&AppsSection {
        csrf: &web.csrf,
        revoke_action: paths::ACCOUNT_APP_REVOKE,
        apps: consents
            .iter()
            .map(|c| AppRow {
                app_name: &c.client_name,
                client_id: &c.client_id,
                scopes: c.scope.iter().map(scope::describe).collect(),
                resources: resource::with_hosts(&c.resources),
                granted_secs_ago: (now - c.granted_at.0).max(0),
                used_secs_ago: (now - c.last_used_at.0).max(0),
            })
            .collect(),
        notice: query_param(query.as_deref(), "app_revoked")
            .map(|_| "App access revoked. It will ask before signing you in again."),
    });
    let devices = account(&AccountPage {
        username: &user.username,
        csrf: &web.csrf,
        grants: rows,
        notice,
        device_link: paths::DEVICE,
    });
    let two_step_notice = match query_param(query.as_deref(), "two_step").as_deref() {
        Some("on") => Some("Two-step sign-in is on. Signing in now asks for a code."),
        Some("off") => Some("Two-step sign-in is off."),
        _ => None,
    };
    let two_step = super::two_step::section(&state, &web, &user, None, two_step_notice).await?;
    let recovery = super::recovery::section(&state, &web, &user).await?;
    // Sent here by a policy that requires a second factor (see
    // `step_up.rs`): say why, with the way back once it is on.
    let two_step_query = query_param(query.as_deref(), "two_step");
    let back = query_param(query.as_deref(), "next").map(|n| safe_next(Some(&n)));
    let (mut enrol, mut resume) = (None, None);
    match two_step_query.as_deref() {
        Some("required") => {
            if let Some(back) = &back {
                web.return_after_enrolment(back).await?;
            }
            enrol = Some(components::step_up::enrol_notice(back.as_deref()));
        }
        Some("on") => {
            resume = web
                .take_return_after_enrolment()
                .await?
                .map(|back| components::step_up::resume_notice(&back));
        }
        _ => {}
    }
    let passkey_notice =
        super::passkeys::notice(query_param(query.as_deref(), "passkey").as_deref());
    let passkeys = super::passkeys::card(&state, &web, &user, passkey_notice, None).await?;
    let linked_notice = match (
        query_param(query.as_deref(), "unlinked"),
        query_param(query.as_deref(), "linked").as_deref(),
    ) {
        (Some(_), _) => Some("Unlinked. You can no longer sign in with that account."),
        (None, Some("already")) => Some("That account was linked to yours already."),
        (None, Some(_)) => Some("Linked. You can now sign in with that account too."),
        _ => None,
    };
    let linked = super::upstream_link::section(&state, &web, &user, linked_notice, None).await?;
    let body = html! { div class="space-y-6" { (devices) (apps) (enrol.unwrap_or_default()) (two_step) @if let Some(r) = recovery { (r) } (resume.unwrap_or_default()) (passkeys) (linked) (profile) } };
    Ok(html_response(
        StatusCode::OK,
        page(&state, &web, "Connected devices", body),
    ))
}

pub async fn revoke(
    State(state): State<AppState>,
    SignedIn { user, .. }: SignedIn,
    Path(id): Path<String>,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    // Another user's grant id simply matches nothing. A NUL (`%00`) is in
    // no id, and PostgreSQL text cannot hold it: a query would fail.
    if !id.contains('\0') && token::revoke_own_grant(&state.core, &user.id, &id).await? {
        Ok(Redirect::to(&format!("{}?revoked=1", paths::ACCOUNT)).into_response())
    } else {
        Err(PageError::NotFound)
    }
}

/// The Revoke form of an application in "Apps you allowed".
#[derive(Debug, Deserialize)]
pub struct RevokeApp {
    #[serde(default)]
    pub client_id: String,
}

/// Ends the person's consent for an application and revokes their tokens
/// for it (its other users, and their other clients, keep theirs).
pub async fn revoke_app(
    State(state): State<AppState>,
    SignedIn { user, .. }: SignedIn,
    CsrfForm { form, .. }: CsrfForm<RevokeApp>,
) -> Result<Response, PageError> {
    if authorize::revoke_consent(&state.core, &user.id, &form.client_id).await? {
        Ok(Redirect::to(&format!("{}?app_revoked=1", paths::ACCOUNT)).into_response())
    } else {
        Err(PageError::NotFound)
    }
}
