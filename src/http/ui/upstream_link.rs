//! Linking an upstream account after a password sign-in (`/login/link`),
//! and the linked accounts on `/account` with Unlink and Link.
//!
//! Link on `/account` is a CSRF-checked POST that starts the upstream
//! flow with, beside the session's `state`, the id of the account that
//! asked; the callback links to that account only if the same person is
//! still signed in, and never moves a link from another account. The
//! session is not renewed: the person stays signed in as before, with the
//! same `amr`.
//!
//! The upstream callback left a [`PendingLink`] naming the local account
//! that matched. The link is made only when that very account signed in
//! here after the callback (its password, and its second step if on) and
//! the person confirms with a CSRF-checked form.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::upstream::{
    ContinueTo, LinkConfirm, Linkable, LinkedRow, LinkedSection, continue_to, link_confirm,
    linked_section,
};
use maud::Markup;
use serde::Deserialize;

use super::render::{error_page, html, page};
use super::session::{CsrfForm, SignedIn, WebSession};
use super::upstream::{PENDING_LINK, PendingLink, UPSTREAM_LINK_FOR, UPSTREAM_STATE};
use crate::domain::upstream::{self, Problem, Returned, links};
use crate::domain::user::User;
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::http::ui::login::Empty;
use crate::model::upstream::PENDING_SECS;
use crate::state::AppState;

/// The pending link, if it is for `user`, fresh, and `user` signed in
/// after it was made; otherwise the page that says why not.
async fn pending_for(
    state: &AppState,
    web: &WebSession,
    user: &User,
) -> Result<Result<PendingLink, Response>, PageError> {
    let Some(pending) = web.session.get::<PendingLink>(PENDING_LINK).await? else {
        return Ok(Err(Redirect::to(paths::ACCOUNT).into_response()));
    };
    let now = state.core.clock.now_secs();
    if now - pending.at > PENDING_SECS {
        web.session.remove::<PendingLink>(PENDING_LINK).await?;
        return Ok(Err(error_page(
            StatusCode::BAD_REQUEST,
            "This link request has expired",
            "Sign in with the provider again to link your account.",
        )));
    }
    if pending.user_id != user.id.as_str() {
        return Ok(Err(error_page(
            StatusCode::FORBIDDEN,
            "Signed in to another account",
            &format!(
                "The account that matches your {} account is {}, but you are signed in as {}. \
                 Sign in as {} to link it.",
                pending.provider_label, pending.username, user.username, pending.username
            ),
        )));
    }
    let fresh = web.auth_time().await?.is_some_and(|t| t >= pending.at);
    if !fresh {
        return Ok(Err(Redirect::to(&super::session::login_url_for(
            paths::LOGIN_LINK,
            true,
            Some(&pending.username),
        ))
        .into_response()));
    }
    Ok(Ok(pending))
}

/// `GET /login/link`: asks to confirm the link.
pub async fn show(
    State(state): State<AppState>,
    SignedIn { web, user }: SignedIn,
) -> Result<Response, PageError> {
    let pending = match pending_for(&state, &web, &user).await? {
        Ok(pending) => pending,
        Err(response) => return Ok(response),
    };
    let body = link_confirm(&LinkConfirm {
        action: paths::LOGIN_LINK,
        csrf: &web.csrf,
        provider: &pending.provider_label,
        username: &user.username,
        cancel_href: &pending.next,
    });
    Ok(html(
        StatusCode::OK,
        page(&state, &web, "Link your account", body),
    ))
}

/// `POST /login/link`: links, then goes where the sign-in was headed.
pub async fn confirm(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CsrfForm { web, .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let Some(user) = web.user.clone() else {
        return Ok(Redirect::to(&super::session::login_url(paths::LOGIN_LINK)).into_response());
    };
    let pending = match pending_for(&state, &web, &user).await? {
        Ok(pending) => pending,
        Err(response) => return Ok(response),
    };
    web.session.remove::<PendingLink>(PENDING_LINK).await?;
    match links::link_after_sign_in(
        &state.core,
        &pending.provider_id,
        &pending.subject,
        &user,
        ip,
    )
    .await
    {
        Ok(()) => Ok(super::render::go_on(&state, &web, &pending.next)),
        Err(crate::domain::upstream::Problem::Refused(message)) => {
            Ok(error_page(StatusCode::CONFLICT, "Not linked", &message))
        }
        Err(crate::domain::upstream::Problem::NoSuchProvider) => Ok(error_page(
            StatusCode::NOT_FOUND,
            "Not linked",
            "That sign-in provider is no longer available.",
        )),
        Err(crate::domain::upstream::Problem::Domain(e)) => Err(e.into()),
        Err(other) => Err(PageError::Internal(format!("{other:?}"))),
    }
}

/// The linked accounts section of `/account`.
pub async fn section(
    state: &AppState,
    web: &WebSession,
    user: &User,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let linked = links::identities(&state.core, &user.id).await?;
    let providers = upstream::enabled_providers(&state.core).await?;
    let now = state.core.clock.now_secs();
    Ok(linked_section(&LinkedSection {
        csrf: &web.csrf,
        unlink_action: paths::ACCOUNT_UPSTREAM_UNLINK,
        link_action: paths::ACCOUNT_UPSTREAM_LINK,
        linkable: providers
            .iter()
            .filter(|p| !linked.iter().any(|i| i.provider_id == p.id))
            .map(|p| Linkable {
                label: &p.label,
                name: &p.name,
            })
            .collect(),
        rows: linked
            .iter()
            .map(|i| LinkedRow {
                provider: &i.provider_label,
                provider_id: &i.provider_id,
                linked_secs_ago: (now - i.created_at.0).max(0),
                used_secs_ago: (now - i.last_used_at.0).max(0),
            })
            .collect(),
        notice,
        error,
    }))
}

#[derive(Debug, Deserialize)]
pub struct UnlinkFields {
    #[serde(default)]
    pub provider_id: String,
}

/// `POST /account/upstream/unlink`.
pub async fn unlink(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn { user, .. }: SignedIn,
    CsrfForm { web, form }: CsrfForm<UnlinkFields>,
) -> Result<Response, PageError> {
    match links::unlink(&state.core, &user, &form.provider_id, ip).await {
        Ok(()) => Ok(Redirect::to(&format!("{}?unlinked=1", paths::ACCOUNT)).into_response()),
        Err(crate::domain::Error::Refused(message)) => {
            let body = section(&state, &web, &user, None, Some(&message)).await?;
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&state, &web, "Linked sign-in accounts", body),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct LinkFields {
    /// The provider's name.
    #[serde(default)]
    pub provider: String,
}

/// `POST /account/upstream/link`: off to the provider, remembering who
/// asked.
///
/// Not a 303: Chromium checks a form's redirects against the page's CSP
/// `form-action 'self'`, and the provider's authorization endpoint is
/// elsewhere (and known only from its discovery document). The answer is
/// a page that moves on by the `Refresh` header, a new navigation rather
/// than the form's, with a link in case it does not.
pub async fn start_link(
    State(state): State<AppState>,
    SignedIn { user, .. }: SignedIn,
    CsrfForm { web, form }: CsrfForm<LinkFields>,
) -> Result<Response, PageError> {
    let started = match upstream::enabled_provider(&state.core, &form.provider).await {
        Ok(provider) => upstream::begin(&state.core, &provider.name, paths::ACCOUNT, None)
            .await
            .map(|started| (provider, started)),
        Err(problem) => Err(problem),
    };
    let (provider, started) = match started {
        Ok(started) => started,
        Err(problem) => return Ok(super::upstream::problem_page(problem)),
    };
    web.session
        .insert(UPSTREAM_STATE, started.state.expose())
        .await?;
    web.session
        .insert(UPSTREAM_LINK_FOR, user.id.as_str())
        .await?;
    let body = continue_to(&ContinueTo {
        provider: &provider.label,
        href: &started.url,
    });
    let mut response = html(
        StatusCode::OK,
        page(
            &state,
            &web,
            &format!("Continue to {}", provider.label),
            body,
        ),
    );
    if !super::render::refresh_to(&mut response, &started.url) {
        return Err(PageError::Internal(
            "the provider's URL is not a header value".into(),
        ));
    }
    Ok(response)
}

/// The callback of a link asked for on `/account` by `link_for`: links
/// if that person is still the one signed in, then back to `/account`.
pub(super) async fn finish_link(
    state: &AppState,
    web: &WebSession,
    link_for: &str,
    returned: &Returned,
    ip: Option<std::net::IpAddr>,
) -> Result<Response, PageError> {
    let Some(user) = web.user.as_ref().filter(|u| u.id.as_str() == link_for) else {
        crate::domain::upstream::refused_link(&state.core, &returned.provider, ip).await;
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "Not linked",
            "You are no longer signed in to the account that asked for this link, so \
             nothing was linked. Sign in and start again from your account page.",
        ));
    };
    match links::link_signed_in(&state.core, &returned.provider, &returned.claims, user, ip).await {
        Ok(links::Linked::Now) => {
            Ok(Redirect::to(&format!("{}?linked=1", paths::ACCOUNT)).into_response())
        }
        Ok(links::Linked::Already) => {
            Ok(Redirect::to(&format!("{}?linked=already", paths::ACCOUNT)).into_response())
        }
        Err(Problem::Refused(message)) => {
            Ok(error_page(StatusCode::CONFLICT, "Not linked", &message))
        }
        Err(problem) => Ok(super::upstream::problem_page(problem)),
    }
}
