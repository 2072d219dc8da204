//! `GET/POST /login` and `POST /logout`.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::auth::{LoginForm, login_form};
use components::feedback::Tone;
use serde::Deserialize;

use super::render::query_param;
use super::render::{html, page};
use super::session::{CsrfForm, WebSession, safe_next};
use crate::domain::{Error, authorize, step_up, user};
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::model::Secret;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct LoginFields {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: Secret,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// Why the person is on the sign-in page, judged from the raw query: only
/// an explicit return to the device page earns the device notice.
fn notice_for(query: Option<&str>) -> Option<(Tone, &'static str)> {
    if query_param(query, "signed_out").is_some() {
        return Some((Tone::Success, "You have signed out."));
    }
    let next = query_param(query, "next")?;
    if next.starts_with(paths::DEVICE) {
        Some((
            Tone::Info,
            "Sign in to connect your device. You will come back to the code afterwards.",
        ))
    } else if next.starts_with(paths::AUTHORIZE) {
        Some((
            Tone::Info,
            "Sign in to continue to the application that sent you here.",
        ))
    } else {
        None
    }
}

pub async fn show(
    State(state): State<AppState>,
    web: WebSession,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query = query.as_deref();
    let next = safe_next(query_param(query, "next").as_deref());
    // An application may ask for a fresh sign-in (`prompt=login`,
    // `max_age`): then the form shows even to a signed-in person.
    let reauth = query_param(query, "reauth").is_some();
    if web.user.is_some() && !reauth {
        return Ok(Redirect::to(&next).into_response());
    }
    if let Some(provider) = super::upstream::hinted(&state, query, &next).await? {
        return Ok(Redirect::to(&provider).into_response());
    }
    let given_hint = authorize::clean_login_hint(query_param(query, "login_hint").as_deref());
    // An address in a provider's sign-in domains goes straight there. Not
    // when the application asked for a fresh sign-in: the provider might
    // answer from its own session without asking again.
    if !reauth
        && let Some(hint) = &given_hint
        && let Some(provider) = super::upstream::provider_for_hint(&state, hint).await?
    {
        let start = paths::with_query(&paths::login_upstream(&provider), &[("next", &next)]);
        return Ok(Redirect::to(&start).into_response());
    }
    let hint = given_hint
        .or_else(|| web.user.as_ref().map(|u| u.username.clone()))
        .unwrap_or_default();
    let body = login_form(&LoginForm {
        action: paths::LOGIN,
        csrf: &web.csrf,
        username: &hint,
        next: &next,
        error: None,
        passkey: super::passkey_login::sign_in_block(&state, &web.csrf, &next),
        notice: if reauth {
            Some((
                Tone::Info,
                "The application asks you to sign in again to continue.",
            ))
        } else {
            notice_for(query)
        },
    });
    let providers = super::upstream::buttons(&state, &next).await?;
    let body = maud::html! { (body) (providers) };
    Ok(html(StatusCode::OK, page(&state, &web, "Sign in", body)))
}

pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CsrfForm { mut web, form }: CsrfForm<LoginFields>,
) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim();
    let mut status = StatusCode::UNAUTHORIZED;
    let error = if username.is_empty() || form.password.is_empty() {
        "Enter your username and password.".to_owned()
    } else {
        match user::sign_in(&state.core, username, form.password.expose(), ip).await {
            Ok(user::Password::SignedIn(user)) => {
                tracing::info!(user_id = %user.id, "signed in");
                // A person who must have a second factor and has none
                // sets one up now, then goes on.
                let enrol = step_up::required_of(&state.core, &user).await?
                    && !step_up::has_factor(&state.core, &user.id).await?;
                web.sign_in(
                    user,
                    state.core.random.token(32),
                    state.http.session_lifetime,
                    state.core.clock.now_secs(),
                    &["pwd"],
                )
                .await?;
                if enrol {
                    return Ok(Redirect::to(&super::step_up::enrol_url(&next)).into_response());
                }
                return Ok(super::render::go_on(&state, &web, &next));
            }
            Ok(user::Password::NeedsCode(user)) => {
                // Not signed in yet: the code page finishes it.
                web.await_code(&user, &next, state.core.clock.now_secs())
                    .await?;
                return Ok(Redirect::to(paths::LOGIN_CODE).into_response());
            }
            Err(Error::BadCredentials) => {
                tracing::info!("sign-in failed");
                "Incorrect username or password.".to_owned()
            }
            Err(Error::TooManyAttempts { retry_after_secs }) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                format!(
                    "Too many failed sign-ins. Try again in {} seconds.",
                    retry_after_secs.max(1)
                )
            }
            Err(e) => return Err(e.into()),
        }
    };
    let body = login_form(&LoginForm {
        action: paths::LOGIN,
        csrf: &web.csrf,
        username,
        next: &next,
        error: Some(&error),
        notice: None,
        passkey: super::passkey_login::sign_in_block(&state, &web.csrf, &next),
    });
    let providers = super::upstream::buttons(&state, &next).await?;
    let body = maud::html! { (body) (providers) };
    Ok(html(status, page(&state, &web, "Sign in", body)))
}

pub async fn logout(CsrfForm { web, .. }: CsrfForm<Empty>) -> Result<Response, PageError> {
    web.sign_out().await?;
    Ok(Redirect::to(&format!("{}?signed_out=1", paths::LOGIN)).into_response())
}

/// `/`: people land on the device page.
pub async fn home() -> Redirect {
    Redirect::to(paths::DEVICE)
}
