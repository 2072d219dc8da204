//! `/login/passkey/*`: signing in with a passkey, alone (a discoverable
//! credential: no username is typed) or as the second step after a
//! password. JSON for `assets/passkey.js` (see `ceremony.rs`); the
//! ceremony's state waits in the session between its two requests.

use axum::extract::State;
use axum::response::Response;
use components::passkeys::{
    CeremonyUrls, PasskeySignIn, PasskeyStep, passkey_sign_in, passkey_step,
};
use maud::Markup;
use serde::Deserialize;
use serde::de::IgnoredAny;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PublicKeyCredential,
};

use super::ceremony::{self, CsrfJson};
use super::session::safe_next;
use crate::domain::{passkey, user};
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::model::passkey::Ceremony;
use crate::state::AppState;

/// RFC 8176 methods of a passkey sign-in: `hwk` (a key the person holds),
/// and `mfa` when the authenticator verified them (PIN or biometrics) too.
pub const AMR_PASSKEY: &[&str] = &["hwk", "mfa"];
pub const AMR_PASSKEY_UNVERIFIED: &[&str] = &["hwk"];
/// A password, then a passkey.
pub const AMR_PASSWORD_AND_PASSKEY: &[&str] = &["pwd", "hwk", "mfa"];

/// The sign-in page's passkey block, when passkeys are on.
pub fn sign_in_block(state: &AppState, csrf: &str, next: &str) -> Option<Markup> {
    state.core.webauthn.as_ref()?;
    Some(passkey_sign_in(&PasskeySignIn {
        csrf,
        next,
        urls: CeremonyUrls {
            options: paths::LOGIN_PASSKEY_OPTIONS,
            finish: paths::LOGIN_PASSKEY,
            script: &state.http.assets.passkey_js,
        },
    }))
}

/// The second step's passkey block (`alone`: the person has no code).
pub fn step_block(state: &AppState, csrf: &str, alone: bool) -> Markup {
    passkey_step(&PasskeyStep {
        csrf,
        alone,
        urls: CeremonyUrls {
            options: paths::LOGIN_PASSKEY_STEP_OPTIONS,
            finish: paths::LOGIN_PASSKEY_STEP,
            script: &state.http.assets.passkey_js,
        },
    })
}

/// `POST /login/passkey/options`: a challenge for any discoverable passkey.
pub async fn options(
    State(state): State<AppState>,
    CsrfJson { web, .. }: CsrfJson<IgnoredAny>,
) -> Response {
    let (options, pending) = match passkey::begin_sign_in(&state.core) {
        Ok(begun) => begun,
        Err(e) => return ceremony::error(e),
    };
    if let Err(response) = ceremony::keep(&web, Ceremony::SignIn, &pending).await {
        return response;
    }
    ceremony::ok(options)
}

#[derive(Debug, Deserialize)]
pub struct SignInAnswer {
    pub credential: PublicKeyCredential,
    /// Where to go once signed in; checked like the password form's.
    #[serde(default)]
    pub next: Option<String>,
}

/// `POST /login/passkey`: the authenticator's answer; signs the session in.
pub async fn finish(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CsrfJson { mut web, body }: CsrfJson<SignInAnswer>,
) -> Response {
    let pending = match ceremony::take::<DiscoverableAuthentication>(&web, Ceremony::SignIn).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return ceremony::no_ceremony(),
        Err(response) => return response,
    };
    let signed = match passkey::finish_sign_in(&state.core, pending, &body.credential, ip).await {
        Ok(signed) => signed,
        Err(e) => return ceremony::error(e),
    };
    let amr = if signed.user_verified {
        AMR_PASSKEY
    } else {
        AMR_PASSKEY_UNVERIFIED
    };
    tracing::info!(user_id = %signed.user.id, "signed in with a passkey");
    user::signed_in(&state.core, &signed.user, ip, "passkey").await;
    let signed_in = web
        .sign_in(
            signed.user,
            state.core.random.token(32),
            state.http.session_lifetime,
            state.core.clock.now_secs(),
            amr,
        )
        .await;
    if let Err(e) = signed_in {
        return axum::response::IntoResponse::into_response(e);
    }
    ceremony::ok(serde_json::json!({ "redirect": safe_next(body.next.as_deref()) }))
}

/// The answer when no password step is waiting for its second step.
fn no_password_step() -> Response {
    ceremony::refusal(
        axum::http::StatusCode::BAD_REQUEST,
        "invalid_request",
        "Your sign-in has expired. Sign in again with your password.",
    )
}

/// `POST /login/passkey/step/options`: a challenge for the passkeys of
/// the person whose password was right.
pub async fn step_options(
    State(state): State<AppState>,
    CsrfJson { web, .. }: CsrfJson<IgnoredAny>,
) -> Response {
    let person = match web.awaiting_code(&state).await {
        Ok(Some((person, _))) => person,
        Ok(None) => return no_password_step(),
        Err(e) => return axum::response::IntoResponse::into_response(e),
    };
    let (options, pending) = match passkey::begin_second_step(&state.core, &person).await {
        Ok(begun) => begun,
        Err(e) => return ceremony::error(e),
    };
    if let Err(response) = ceremony::keep(&web, Ceremony::SecondStep, &pending).await {
        return response;
    }
    ceremony::ok(options)
}

#[derive(Debug, Deserialize)]
pub struct StepAnswer {
    pub credential: PublicKeyCredential,
}

/// `POST /login/passkey/step`: the second step's answer; finishes the
/// sign-in exactly as a right code does.
pub async fn step_finish(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CsrfJson { mut web, body }: CsrfJson<StepAnswer>,
) -> Response {
    // `next` comes from the session: it was checked at the password step.
    let (person, next) = match web.awaiting_code(&state).await {
        Ok(Some(waiting)) => waiting,
        Ok(None) => return no_password_step(),
        Err(e) => return axum::response::IntoResponse::into_response(e),
    };
    let pending = match ceremony::take::<PasskeyAuthentication>(&web, Ceremony::SecondStep).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return ceremony::no_ceremony(),
        Err(response) => return response,
    };
    if let Err(e) =
        passkey::finish_second_step(&state.core, &person, pending, &body.credential, ip).await
    {
        return ceremony::error(e);
    }
    let how = "password and passkey";
    let done =
        super::login_code::complete(&state, &mut web, person, ip, how, AMR_PASSWORD_AND_PASSKEY)
            .await;
    if let Err(e) = done {
        return axum::response::IntoResponse::into_response(e);
    }
    ceremony::ok(serde_json::json!({ "redirect": next }))
}
