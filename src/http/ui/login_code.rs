//! `GET/POST /login/code`: the second step of sign-in for a person with
//! two-step sign-in on. The password step left a short-lived note in the
//! (not yet signed-in) session; a right code signs the session in, with a
//! new id, and goes on to the `next=` the password form carried.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::two_step::{CodeForm, code_form};
use serde::Deserialize;

use super::render::{html, page};
use super::session::{CsrfForm, WebSession, login_url};
use crate::domain::{Error, totp, user};
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::state::AppState;

/// RFC 8176 methods of a sign-in with a password and a TOTP code.
pub const AMR_TOTP: &[&str] = &["pwd", "otp", "mfa"];

fn form_page(
    state: &AppState,
    web: &WebSession,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let body = code_form(&CodeForm {
        action: paths::LOGIN_CODE,
        csrf: &web.csrf,
        next,
        error,
    });
    html(status, page(state, web, "Enter your code", body))
}

/// Without a password step waiting (never there, expired, or the password
/// changed), back to the password form, keeping `next=`.
fn start_again(next: &str) -> Response {
    Redirect::to(&login_url(next)).into_response()
}

pub async fn show(State(state): State<AppState>, web: WebSession) -> Result<Response, PageError> {
    match web.awaiting_code(&state).await? {
        Some((_, next)) => Ok(form_page(&state, &web, &next, None, StatusCode::OK)),
        None => Ok(start_again(paths::DEVICE)),
    }
}

#[derive(Debug, Deserialize)]
pub struct CodeFields {
    #[serde(default)]
    pub code: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CsrfForm { mut web, form }: CsrfForm<CodeFields>,
) -> Result<Response, PageError> {
    // `next` comes from the session, not the form: it was checked when
    // the password form was sent.
    let Some((person, next)) = web.awaiting_code(&state).await? else {
        return Ok(start_again(paths::DEVICE));
    };
    let (status, error) =
        match totp::verify(&state.core, &person.id, &person.username, &form.code, ip).await {
            Ok(()) => {
                tracing::info!(user_id = %person.id, "signed in with a second step");
                user::signed_in(&state.core, &person, ip, "password and authenticator code").await;
                web.sign_in(
                    person,
                    state.core.random.token(32),
                    state.http.session_lifetime,
                    state.core.clock.now_secs(),
                    AMR_TOTP,
                )
                .await?;
                return Ok(Redirect::to(&next).into_response());
            }
            Err(Error::BadCredentials) => (
                StatusCode::UNAUTHORIZED,
                "That code is not right, or was already used. Enter the code your app shows now."
                    .to_owned(),
            ),
            Err(Error::TooManyAttempts { retry_after_secs }) => (
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many failed sign-ins. Try again in {} seconds.",
                    retry_after_secs.max(1)
                ),
            ),
            Err(Error::Refused(_)) => return Ok(start_again(&next)),
            Err(e) => return Err(e.into()),
        };
    Ok(form_page(&state, &web, &next, Some(&error), status))
}
