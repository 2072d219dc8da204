//! `GET/POST /login/code`: the second step of sign-in for a person with a
//! second factor: a TOTP code here, or a passkey (`passkey_login.rs`, whose
//! success ends in [`complete`] too). The password step left a
//! short-lived note in the (not yet signed-in) session; a right code signs
//! the session in, with a new id, and goes on to the `next=` the password
//! form carried.
//!
//! `POST /login/code/recovery` is the same step with a recovery code (a
//! lost phone): a second small form on the page, counted against the same
//! lock-outs, signing in the same way.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::recovery::{RecoveryCodeForm, recovery_code_form};
use components::two_step::{CodeForm, code_form};
use maud::html as markup;
use serde::Deserialize;

use super::render::{html, page};
use super::session::{CsrfForm, WebSession, login_url};
use crate::domain::user::User;
use crate::domain::{Error, factors, recovery, totp, user};
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::state::AppState;

/// RFC 8176 methods of a sign-in with a password and a TOTP code.
pub const AMR_TOTP: &[&str] = &["pwd", "otp", "mfa"];
/// RFC 8176 methods of a sign-in with a password and a recovery code: a
/// recovery code is a one-time password too (`otp`), and the second of
/// two factors (`mfa`).
pub const AMR_RECOVERY: &[&str] = &["pwd", "otp", "mfa"];

/// Which of the page's forms an error belongs to.
enum Refusal<'a> {
    Code(&'a str),
    Recovery(&'a str),
}

/// Finishes a second step that `person` passed (`how`, for the audit
/// log): the sign-in is audited and the session signed in with a new id,
/// recording `amr`. Every kind of second step ends here; the caller then
/// sends the person on to the `next=` the password step kept.
pub async fn complete(
    state: &AppState,
    web: &mut WebSession,
    person: User,
    ip: Option<std::net::IpAddr>,
    how: &str,
    amr: &[&str],
) -> Result<(), PageError> {
    tracing::info!(user_id = %person.id, "signed in with a second step");
    user::signed_in(&state.core, &person, ip, how).await;
    web.sign_in(
        person,
        state.core.random.token(32),
        state.http.session_lifetime,
        state.core.clock.now_secs(),
        amr,
    )
    .await
}

/// The second step for `person`: the code form when they use an
/// authenticator app (with "Use a passkey" under it when they also have
/// passkeys, and the recovery-code form), the passkey block alone when
/// passkeys are all they have.
async fn form_page(
    state: &AppState,
    web: &WebSession,
    person: &User,
    next: &str,
    error: Option<Refusal<'_>>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let factors = factors::second_factors(&state.core, &person.id).await?;
    // The code form unless passkeys are all the person has (with neither,
    // the factor went meanwhile: the code form's answer sends them back).
    let passkey_only = factors.passkey && !factors.totp;
    let (code_error, recovery_error) = match error {
        Some(Refusal::Code(e)) => (Some(e), None),
        Some(Refusal::Recovery(e)) => (None, Some(e)),
        None => (None, None),
    };
    let title = if passkey_only {
        "Use your passkey"
    } else {
        "Enter your code"
    };
    let body = if passkey_only {
        super::passkey_login::step_block(state, &web.csrf, true)
    } else {
        markup! {
            (code_form(&CodeForm {
                action: paths::LOGIN_CODE,
                csrf: &web.csrf,
                next,
                error: code_error,
                alternative: factors
                    .passkey
                    .then(|| super::passkey_login::step_block(state, &web.csrf, false)),
                autofocus: recovery_error.is_none(),
            }))
            // Recovery codes come with the authenticator app.
            @if factors.totp {
                (recovery_code_form(&RecoveryCodeForm {
                    action: paths::LOGIN_RECOVERY,
                    csrf: &web.csrf,
                    error: recovery_error,
                }))
            }
        }
    };
    Ok(html(status, page(state, web, title, body)))
}

fn too_many(retry_after_secs: i64) -> String {
    format!(
        "Too many failed sign-ins. Try again in {} seconds.",
        retry_after_secs.max(1)
    )
}

/// Without a password step waiting (never there, expired, or the password
/// changed), back to the password form, keeping `next=`.
fn start_again(next: &str) -> Response {
    Redirect::to(&login_url(next)).into_response()
}

pub async fn show(State(state): State<AppState>, web: WebSession) -> Result<Response, PageError> {
    match web.awaiting_code(&state).await? {
        Some((person, next)) => form_page(&state, &web, &person, &next, None, StatusCode::OK).await,
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
                let how = "password and authenticator code";
                complete(&state, &mut web, person, ip, how, AMR_TOTP).await?;
                return Ok(super::render::go_on(&state, &web, &next));
            }
            Err(Error::BadCredentials) => (
                StatusCode::UNAUTHORIZED,
                "That code is not right, or was already used. Enter the code your app shows now."
                    .to_owned(),
            ),
            Err(Error::TooManyAttempts { retry_after_secs }) => {
                (StatusCode::TOO_MANY_REQUESTS, too_many(retry_after_secs))
            }
            Err(Error::Refused(_)) => return Ok(start_again(&next)),
            Err(e) => return Err(e.into()),
        };
    let refusal = Some(Refusal::Code(&error));
    form_page(&state, &web, &person, &next, refusal, status).await
}

#[derive(Debug, Deserialize)]
pub struct RecoveryFields {
    #[serde(default)]
    pub recovery_code: crate::model::Secret,
}

/// `POST /login/code/recovery`: the second step with a recovery code.
pub async fn submit_recovery(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CsrfForm { mut web, form }: CsrfForm<RecoveryFields>,
) -> Result<Response, PageError> {
    let Some((person, next)) = web.awaiting_code(&state).await? else {
        return Ok(start_again(paths::DEVICE));
    };
    let typed = form.recovery_code.expose();
    let (status, error) =
        match recovery::verify(&state.core, &person.id, &person.username, typed, ip).await {
            Ok(_) => {
                let how = "password and recovery code";
                complete(&state, &mut web, person, ip, how, AMR_RECOVERY).await?;
                return Ok(super::render::go_on(&state, &web, &next));
            }
            Err(Error::BadCredentials) => (
                StatusCode::UNAUTHORIZED,
                "That recovery code is not right, or was already used. Each code works once."
                    .to_owned(),
            ),
            Err(Error::TooManyAttempts { retry_after_secs }) => {
                (StatusCode::TOO_MANY_REQUESTS, too_many(retry_after_secs))
            }
            Err(Error::Refused(_)) => return Ok(start_again(&next)),
            Err(e) => return Err(e.into()),
        };
    let refusal = Some(Refusal::Recovery(&error));
    form_page(&state, &web, &person, &next, refusal, status).await
}
