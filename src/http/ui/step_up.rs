//! `GET/POST /login/step-up`: a signed-in person proves a second factor
//! again before an approval a policy guards (see `domain/step_up.rs`),
//! then goes back to the same consent page, request intact.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use components::passkeys::{CeremonyUrls, PasskeyStep, passkey_step};
use components::step_up::{StepUpForm, step_up_form};
use serde::Deserialize;

use super::render::{html, is_htmx, page, query_param};
use super::session::{CsrfForm, SignedIn, WebSession, safe_next};
use crate::domain::user::User;
use crate::domain::{Error, factors, step_up};
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::model::authn::method;
use crate::state::AppState;

const HX_REDIRECT: HeaderName = HeaderName::from_static("hx-redirect");

/// `/login/step-up?next=<here>`: where a consent page sends a person
/// whose session needs a fresh second factor.
pub fn step_up_url(here: &str) -> String {
    let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    format!("{}?next={next}", paths::LOGIN_STEP_UP)
}

/// `/account?two_step=required&next=<here>#enrol`: where a person
/// the policy covers goes to set up a factor, with a way back.
pub fn enrol_url(here: &str) -> String {
    let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    format!("{}?two_step=required&next={next}#enrol", paths::ACCOUNT)
}

/// Where a consent page sends a person whose approval needs a second
/// factor (`enrol`: set one up first), to come back to `here`. An htmx
/// request is told with `HX-Redirect`, so the whole page moves rather than
/// the step-up page landing inside the consent panel.
pub fn send_for_factor(headers: &HeaderMap, enrol: bool, here: &str) -> Response {
    let to = if enrol {
        enrol_url(here)
    } else {
        step_up_url(here)
    };
    if is_htmx(headers) {
        match HeaderValue::from_str(&to) {
            Ok(value) => ([(HX_REDIRECT, value)], StatusCode::OK).into_response(),
            Err(_) => Redirect::to(&to).into_response(),
        }
    } else {
        Redirect::to(&to).into_response()
    }
}

/// The page for `user`: the code field if they have an authenticator
/// app, the passkey button if they have passkeys.
async fn form_page(
    state: &AppState,
    web: &WebSession,
    user: &User,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let have = factors::second_factors(&state.core, &user.id).await?;
    let passkey = have.passkey.then(|| {
        passkey_step(&PasskeyStep {
            csrf: &web.csrf,
            alone: false,
            urls: CeremonyUrls {
                options: paths::LOGIN_STEP_UP_PASSKEY_OPTIONS,
                finish: paths::LOGIN_STEP_UP_PASSKEY,
                script: &state.http.assets.passkey_js,
            },
        })
    });
    let body = step_up_form(&StepUpForm {
        action: paths::LOGIN_STEP_UP,
        csrf: &web.csrf,
        next,
        error,
        code: have.totp,
        passkey,
    });
    Ok(html(status, page(state, web, "Confirm it's you", body)))
}

pub async fn show(
    State(state): State<AppState>,
    SignedIn { web, user }: SignedIn,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let next = safe_next(query_param(query.as_deref(), "next").as_deref());
    if !step_up::has_factor(&state.core, &user.id).await? {
        return Ok(Redirect::to(&enrol_url(&next)).into_response());
    }
    web.remember_step_up_next(&next).await?;
    form_page(&state, &web, &user, &next, None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct StepUpFields {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub next: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn { user, .. }: SignedIn,
    CsrfForm { web, form }: CsrfForm<StepUpFields>,
) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref());
    let (status, error) = match step_up::prove(&state.core, &user, &form.code, ip).await {
        Ok(()) => {
            web.stepped_up(&[method::OTP], state.core.clock.now_secs())
                .await?;
            return Ok(super::render::go_on(&state, &web, &next));
        }
        Err(Error::BadCredentials) => (
            StatusCode::UNAUTHORIZED,
            "That code is not right, or was already used. Enter the code your app shows now."
                .to_owned(),
        ),
        Err(Error::TooManyAttempts { retry_after_secs }) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed attempts. Try again in {} seconds.",
                retry_after_secs.max(1)
            ),
        ),
        Err(Error::Refused(_)) => return Ok(Redirect::to(&enrol_url(&next)).into_response()),
        Err(e) => return Err(e.into()),
    };
    form_page(&state, &web, &user, &next, Some(&error), status).await
}
