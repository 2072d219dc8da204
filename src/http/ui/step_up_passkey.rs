//! `POST /login/step-up/passkey/options` and `POST /login/step-up/passkey`:
//! the step-up page's passkey (JSON for `assets/passkey.js`, as the other
//! ceremonies in `ceremony.rs`). A signed-in person proves one of their
//! passkeys again before an approval a policy guards, then goes back to
//! the page the step-up was asked from (kept in the session when the
//! step-up page showed).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::IgnoredAny;
use webauthn_rs::prelude::{PasskeyAuthentication, PublicKeyCredential};

use super::ceremony::{self, CsrfJson};
use crate::domain::{passkey, step_up};
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::model::authn::method;
use crate::model::passkey::Ceremony;
use crate::state::AppState;

fn not_signed_in() -> Response {
    ceremony::refusal(
        axum::http::StatusCode::UNAUTHORIZED,
        "login_required",
        "Your session has ended. Sign in again.",
    )
}

/// A challenge for the signed-in person's passkeys.
pub async fn options(
    State(state): State<AppState>,
    CsrfJson { web, .. }: CsrfJson<IgnoredAny>,
) -> Response {
    let Some(user) = web.user.clone() else {
        return not_signed_in();
    };
    let (options, pending) = match passkey::begin_second_step(&state.core, &user).await {
        Ok(begun) => begun,
        Err(e) => return ceremony::error(e),
    };
    if let Err(response) = ceremony::keep(&web, Ceremony::StepUp, &pending).await {
        return response;
    }
    ceremony::ok(options)
}

#[derive(Debug, Deserialize)]
pub struct Answer {
    pub credential: PublicKeyCredential,
}

/// The answer: checked like a second step at sign-in (replays, counters,
/// throttling, audit), then the session records the factor.
pub async fn finish(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CsrfJson { web, body }: CsrfJson<Answer>,
) -> Response {
    let Some(user) = web.user.clone() else {
        return not_signed_in();
    };
    let pending = match ceremony::take::<PasskeyAuthentication>(&web, Ceremony::StepUp).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return ceremony::no_ceremony(),
        Err(response) => return response,
    };
    if let Err(e) =
        passkey::finish_second_step(&state.core, &user, pending, &body.credential, ip).await
    {
        return ceremony::error(e);
    }
    step_up::record(&state.core, &user, ip, "passkey").await;
    let now = state.core.clock.now_secs();
    let next = match web.stepped_up(&[method::HWK], now).await {
        Ok(()) => web.take_step_up_next().await,
        Err(e) => return e.into_response(),
    };
    match next {
        Ok(next) => ceremony::ok(serde_json::json!({
            "redirect": next.unwrap_or_else(|| paths::DEVICE.to_owned())
        })),
        Err(e) => e.into_response(),
    }
}
