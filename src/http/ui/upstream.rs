//! `GET /login/upstream/{name}` and its callback: sign-in through an
//! upstream OpenID provider (see domain/upstream for the rules).
//!
//! The session remembers the `state` of the sign-in it started, so a
//! callback is completed only in the browser that began it; the nonce and
//! PKCE verifier wait in the database (store/upstream.rs), which every
//! instance shares, and are taken once. Every way it can go wrong is a
//! page saying what happened, never a 500 with the provider's words.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::upstream::{LinkNeeded, ProviderButton, link_needed};
use serde::{Deserialize, Serialize};

use super::render::{error_page, html, page, query_param};
use super::session::{WebSession, login_url_for, safe_next};
use crate::domain::upstream::{self, Callback, Problem, Resolution};
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::state::AppState;

/// The `state` of the upstream sign-in this session started.
pub(super) const UPSTREAM_STATE: &str = "upstream_state";
/// The account that asked, from `/account`, to link the upstream account
/// of the sign-in this session started (kept beside [`UPSTREAM_STATE`]).
pub(super) const UPSTREAM_LINK_FOR: &str = "upstream_link_for";
/// An upstream account waiting to be linked after a password sign-in.
pub(super) const PENDING_LINK: &str = "upstream_link";

/// See [`PENDING_LINK`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct PendingLink {
    pub provider_id: String,
    pub provider_label: String,
    pub subject: String,
    /// The account that must be signed in to.
    pub user_id: String,
    pub username: String,
    pub next: String,
    /// When the upstream sign-in came back (Unix seconds): the password
    /// sign-in must come after it.
    pub at: i64,
}

/// The sign-in buttons for the enabled providers, each returning to `next`.
pub async fn buttons(state: &AppState, next: &str) -> Result<maud::Markup, PageError> {
    let providers = upstream::enabled_providers(&state.core).await?;
    let buttons: Vec<ProviderButton<'_>> = providers
        .iter()
        .map(|p| ProviderButton {
            label: &p.label,
            href: paths::with_query(&paths::login_upstream(&p.name), &[("next", next)]),
        })
        .collect();
    Ok(components::upstream::provider_buttons(&buttons))
}

/// Where an `idp_hint` sends the browser: straight to that provider's
/// sign-in, skipping the chooser on `/login`. The hint is read from the
/// sign-in page's own query or from the request it returns to (`next`:
/// `/oauth/authorize?...&idp_hint=corp`, `/device?idp_hint=corp`), so the
/// authorization endpoint and links to the device page need not carry it
/// separately. A hint naming no enabled provider is ignored: the person
/// still gets the chooser, as with no hint.
pub async fn hinted(
    state: &AppState,
    query: Option<&str>,
    next: &str,
) -> Result<Option<String>, PageError> {
    let from_next = || {
        let (_, next_query) = next.split_once('?')?;
        query_param(Some(next_query), "idp_hint")
    };
    let Some(hint) = query_param(query, "idp_hint").or_else(from_next) else {
        return Ok(None);
    };
    let providers = upstream::enabled_providers(&state.core).await?;
    Ok(providers
        .iter()
        .find(|p| p.name == hint)
        .map(|p| paths::with_query(&paths::login_upstream(&p.name), &[("next", next)])))
}

/// The name of the enabled provider whose sign-in domains hold the
/// address `login_hint`, if one does.
pub async fn provider_for_hint(
    state: &AppState,
    login_hint: &str,
) -> Result<Option<String>, PageError> {
    let providers = upstream::enabled_providers(&state.core).await?;
    Ok(providers
        .into_iter()
        .find(|p| p.claims_hint(login_hint))
        .map(|p| p.name))
}

/// A page for each [`Problem`].
pub(super) fn problem_page(problem: Problem) -> Response {
    let (status, title, message) = match problem {
        Problem::NoSuchProvider => {
            return PageError::NotFound.into_response();
        }
        Problem::Unreachable(label) => (
            StatusCode::BAD_GATEWAY,
            "Sign-in provider not answering",
            format!(
                "{label} did not answer in time, so you cannot sign in with it now. \
                 Try again in a moment, or sign in with your password."
            ),
        ),
        Problem::Declined => (
            StatusCode::FORBIDDEN,
            "Sign-in cancelled",
            "You did not allow the sign-in at the provider, so you are not signed in. \
             Start again from the sign-in page if you want to."
                .to_owned(),
        ),
        Problem::ProviderError(code) => (
            StatusCode::BAD_GATEWAY,
            "The provider refused the sign-in",
            format!(
                "The sign-in provider answered with the error \u{201c}{code}\u{201d}. Try again, or sign in with your password."
            ),
        ),
        Problem::StaleState => (
            StatusCode::BAD_REQUEST,
            "This sign-in has expired",
            "This sign-in link was already used, has expired, or was started in another \
             browser. Start again from the sign-in page."
                .to_owned(),
        ),
        Problem::Unverified => (
            StatusCode::BAD_GATEWAY,
            "The sign-in could not be verified",
            "The provider's answer could not be verified, so you are not signed in. \
             Try again; if it keeps happening, tell an administrator."
                .to_owned(),
        ),
        Problem::Refused(message) => (StatusCode::FORBIDDEN, "Sign-in refused", message),
        Problem::Domain(e) => return PageError::from(e).into_response(),
        Problem::Internal(detail) => return PageError::Internal(detail).into_response(),
    };
    error_page(status, title, &message)
}

/// `GET /login/upstream/{name}?next=`: off to the provider.
pub async fn start(
    State(state): State<AppState>,
    web: WebSession,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let next = safe_next(query_param(query.as_deref(), "next").as_deref());
    // The application's login_hint, when the sign-in is for one.
    let login_hint = next
        .split_once('?')
        .filter(|(path, _)| *path == paths::AUTHORIZE)
        .and_then(|(_, q)| query_param(Some(q), "login_hint"));
    let login_hint = crate::domain::authorize::clean_login_hint(login_hint.as_deref());
    match upstream::begin(&state.core, &name, &next, login_hint.as_deref()).await {
        Ok(started) => {
            // A plain sign-in: whatever link an earlier start asked for is off.
            web.session.remove::<String>(UPSTREAM_LINK_FOR).await?;
            web.session
                .insert(UPSTREAM_STATE, started.state.expose())
                .await?;
            Ok(Redirect::to(&started.url).into_response())
        }
        Err(problem) => Ok(problem_page(problem)),
    }
}

/// `GET /login/upstream/{name}/callback`: the provider's answer.
pub async fn callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    mut web: WebSession,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query = query.as_deref();
    // Taken whatever happens next: a state is good for one callback.
    let remembered: Option<String> = web.session.remove(UPSTREAM_STATE).await?;
    let link_for: Option<String> = web.session.remove(UPSTREAM_LINK_FOR).await?;
    let callback = Callback {
        state: query_param(query, "state"),
        code: query_param(query, "code"),
        error: query_param(query, "error"),
    };
    let returned =
        match upstream::finish(&state.core, &name, &callback, remembered.as_deref(), ip).await {
            Ok(returned) => returned,
            Err(problem) => return Ok(problem_page(problem)),
        };
    if let Some(link_for) = link_for {
        return super::upstream_link::finish_link(&state, &web, &link_for, &returned, ip).await;
    }
    match upstream::resolve(&state.core, &returned, ip).await {
        Ok(Resolution::SignIn(user)) => {
            web.sign_in(
                user,
                state.core.random.token(32),
                state.http.session_lifetime,
                state.core.clock.now_secs(),
                upstream::AMR,
            )
            .await?;
            // The provider's own form may have started this redirect chain.
            Ok(super::render::go_on(&state, &web, &returned.next))
        }
        Ok(Resolution::NeedsPassword(user)) => {
            let pending = PendingLink {
                provider_id: returned.provider.id.clone(),
                provider_label: returned.provider.label.clone(),
                subject: returned.claims.subject.clone(),
                user_id: user.id.to_string(),
                username: user.username.clone(),
                next: returned.next.clone(),
                at: state.core.clock.now_secs(),
            };
            web.session.insert(PENDING_LINK, &pending).await?;
            let sign_in = login_url_for(paths::LOGIN_LINK, true, Some(&user.username));
            let body = link_needed(&LinkNeeded {
                provider: &pending.provider_label,
                username: &pending.username,
                sign_in_href: &sign_in,
                cancel_href: paths::LOGIN,
            });
            Ok(html(
                StatusCode::OK,
                page(&state, &web, "Sign in to link your account", body),
            ))
        }
        Err(problem) => Ok(problem_page(problem)),
    }
}
