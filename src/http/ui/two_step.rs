//! `/account/two-step/*`: turning two-step sign-in (TOTP) on and off from
//! the account page. The section itself is [`section`], shown by
//! `account.rs`; a refused code shows it again alone with the reason.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::two_step::{TwoStepSection, TwoStepState, two_step_section};
use maud::{Markup, PreEscaped};
use serde::Deserialize;

use super::render::{html, page};
use super::session::{CsrfForm, SignedIn, WebSession};
use crate::domain::user::User;
use crate::domain::{Error, recovery, step_up, totp};
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::model::Secret;
use crate::model::authn::method;
use crate::state::AppState;

/// The otpauth URI as an inline SVG QR code. The SVG is made here from
/// the server's own data (no script, no style attribute), so it passes the
/// CSP and is safe to include unescaped.
fn qr_svg(uri: &Secret) -> Result<Markup, PageError> {
    let code = qrcode::QrCode::new(uri.expose().as_bytes())
        .map_err(|e| PageError::Internal(format!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(176, 176)
        .build();
    // The renderer starts with an XML declaration, which HTML does not take.
    let svg = match svg.find("<svg") {
        Some(at) => svg[at..].replacen("<svg ", "<svg class=\"h-auto w-full\" ", 1),
        None => svg,
    };
    Ok(PreEscaped(svg))
}

/// The "Two-step sign-in" section for `user`, with `error` under the form
/// that was refused.
pub async fn section(
    state: &AppState,
    web: &WebSession,
    user: &User,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<Markup, PageError> {
    let factor = totp::factor(&state.core, &user.id).await?;
    let enrolment;
    let qr;
    let two_step = match factor {
        Some(f) if f.is_on() => TwoStepState::On {
            remove_action: paths::ACCOUNT_TWO_STEP_REMOVE,
            error,
        },
        Some(_) => {
            enrolment = totp::pending(&state.core, &user.id, &user.username).await?;
            match &enrolment {
                Some(e) => {
                    qr = qr_svg(&e.uri)?;
                    TwoStepState::Enrolling {
                        qr: qr.clone(),
                        key: e.key.expose(),
                        confirm_action: paths::ACCOUNT_TWO_STEP_CONFIRM,
                        error,
                    }
                }
                None => TwoStepState::Off {
                    start_action: paths::ACCOUNT_TWO_STEP_START,
                },
            }
        }
        None => TwoStepState::Off {
            start_action: paths::ACCOUNT_TWO_STEP_START,
        },
    };
    Ok(two_step_section(&TwoStepSection {
        csrf: &web.csrf,
        state: two_step,
        notice,
    }))
}

/// The section alone on a page, after a refusal (`status`).
async fn refused(
    state: &AppState,
    web: &WebSession,
    user: &User,
    status: StatusCode,
    error: &str,
) -> Result<Response, PageError> {
    let body = section(state, web, user, Some(error), None).await?;
    Ok(html(status, page(state, web, "Two-step sign-in", body)))
}

fn back_to_account(what: &str) -> Response {
    Redirect::to(&format!("{}?two_step={what}#two-step", paths::ACCOUNT)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct Nothing {}

/// `POST /account/two-step/start`: a new key, shown on `/account`.
pub async fn start(
    State(state): State<AppState>,
    SignedIn { user, .. }: SignedIn,
    CsrfForm { .. }: CsrfForm<Nothing>,
) -> Result<Response, PageError> {
    match totp::begin(&state.core, &user.id, &user.username).await {
        // Already on (a second tab): the account page says so.
        Ok(_) | Err(Error::Refused(_)) => {
            Ok(Redirect::to(&format!("{}#two-step", paths::ACCOUNT)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct CodeFields {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub password: Secret,
}

/// `POST /account/two-step/confirm`: turns it on with a right code and
/// shows the first recovery codes (once: only their hashes are kept).
pub async fn confirm(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn { web, user }: SignedIn,
    CsrfForm { form, .. }: CsrfForm<CodeFields>,
) -> Result<Response, PageError> {
    match recovery::confirm_totp(&state.core, &user.id, &user.username, &form.code, ip).await {
        Ok(codes) => {
            // A right code from the new factor proves it: approvals a
            // policy guards need not ask again at once.
            web.stepped_up(&[method::OTP], state.core.clock.now_secs())
                .await?;
            let next = format!("{}?two_step=on#two-step", paths::ACCOUNT);
            let intro = "Two-step sign-in is on. Signing in now asks for a code.";
            Ok(super::recovery::shown(
                &state,
                &web,
                &codes,
                Some(intro),
                &next,
            ))
        }
        Err(Error::BadCredentials) => {
            let why = "That code is not right. Check the time on your device and enter the code the app shows now.";
            refused(&state, &web, &user, StatusCode::UNPROCESSABLE_ENTITY, why).await
        }
        Err(Error::Refused(_)) => {
            Ok(Redirect::to(&format!("{}#two-step", paths::ACCOUNT)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/two-step/remove`: turns it off, given a current code or
/// the password.
pub async fn remove(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn { web, user }: SignedIn,
    CsrfForm { form, .. }: CsrfForm<CodeFields>,
) -> Result<Response, PageError> {
    if let Err(Error::Refused(why)) =
        step_up::check_removal(&state.core, &user, step_up::Removal::Totp).await
    {
        return refused(&state, &web, &user, StatusCode::UNPROCESSABLE_ENTITY, &why).await;
    }
    match totp::remove(&state.core, &user, &form.code, form.password.expose(), ip).await {
        Ok(()) => Ok(back_to_account("off")),
        Err(Error::BadCredentials) => {
            let why = "Enter a current code from your app, or your password, to turn two-step sign-in off.";
            refused(&state, &web, &user, StatusCode::UNPROCESSABLE_ENTITY, why).await
        }
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            let why = format!(
                "Too many failed attempts. Try again in {} seconds.",
                retry_after_secs.max(1)
            );
            refused(&state, &web, &user, StatusCode::TOO_MANY_REQUESTS, &why).await
        }
        Err(e) => Err(e.into()),
    }
}
