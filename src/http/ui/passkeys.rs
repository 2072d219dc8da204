//! `/account/passkeys/*`: adding a passkey (a JSON ceremony run by
//! `assets/passkey.js`), renaming and removing one (forms). The card
//! itself is [`card`], shown by `account.rs`; a refused rename shows it
//! again alone with the reason.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::passkeys::{CeremonyUrls, PasskeyRow, PasskeysCard, passkeys_card};
use maud::{Markup, html};
use serde::Deserialize;
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use super::ceremony::{self, CsrfJson};
use super::render::{html as html_response, page};
use super::session::{CsrfForm, SignedIn, WebSession};
use crate::domain::user::User;
use crate::domain::{Error, passkey, step_up};
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::model::passkey::{Ceremony, clean_name};
use crate::state::AppState;

/// The "Passkeys" card for `user` (nothing when passkeys are off).
pub async fn card(
    state: &AppState,
    web: &WebSession,
    user: &User,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    if state.core.webauthn.is_none() {
        return Ok(html! {});
    }
    let stored = passkey::list(&state.core, &user.id).await?;
    let now = state.core.clock.now_secs();
    Ok(passkeys_card(&PasskeysCard {
        csrf: &web.csrf,
        passkeys: stored
            .iter()
            .map(|k| PasskeyRow {
                name: &k.name,
                created_secs_ago: (now - k.created_at.0).max(0),
                used_secs_ago: k.last_used_at.map(|at| (now - at.0).max(0)),
                rename_action: paths::with_id(paths::ACCOUNT_PASSKEY_RENAME, &k.id),
                delete_action: paths::with_id(paths::ACCOUNT_PASSKEY_DELETE, &k.id),
            })
            .collect(),
        urls: CeremonyUrls {
            options: paths::ACCOUNT_PASSKEYS_OPTIONS,
            finish: paths::ACCOUNT_PASSKEYS,
            script: &state.http.assets.passkey_js,
        },
        notice,
        error,
    }))
}

/// What `/account?passkey=` says after a change.
pub fn notice(what: Option<&str>) -> Option<&'static str> {
    match what? {
        "added" => Some("Passkey added. You can sign in with it now."),
        "renamed" => Some("Passkey renamed."),
        "removed" => Some("Passkey removed."),
        "required" => Some(
            "Your administrator requires a second factor: add another before removing your last passkey.",
        ),
        _ => None,
    }
}

fn back_to_account(what: &str) -> String {
    format!("{}?passkey={what}#passkeys", paths::ACCOUNT)
}

#[derive(Debug, Deserialize)]
pub struct NameField {
    #[serde(default)]
    pub name: String,
}

fn bad_name() -> Response {
    ceremony::refusal(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
        "Name the passkey (1 to 64 characters).",
    )
}

/// `POST /account/passkeys/options`: a registration challenge, after the
/// name is checked (so a bad name is said before the browser's prompt).
pub async fn options(
    State(state): State<AppState>,
    SignedIn { user, .. }: SignedIn,
    CsrfJson { web, body }: CsrfJson<NameField>,
) -> Response {
    if clean_name(&body.name).is_none() {
        return bad_name();
    }
    let (options, pending) = match passkey::begin_registration(&state.core, &user).await {
        Ok(begun) => begun,
        Err(e) => return ceremony::error(e),
    };
    if let Err(response) = ceremony::keep(&web, Ceremony::Register, &pending).await {
        return response;
    }
    ceremony::ok(options)
}

#[derive(Debug, Deserialize)]
pub struct RegisterAnswer {
    #[serde(default)]
    pub name: String,
    pub credential: RegisterPublicKeyCredential,
}

/// `POST /account/passkeys`: the authenticator's new credential.
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn { user, .. }: SignedIn,
    CsrfJson { web, body }: CsrfJson<RegisterAnswer>,
) -> Response {
    if clean_name(&body.name).is_none() {
        return bad_name();
    }
    let pending = match ceremony::take::<PasskeyRegistration>(&web, Ceremony::Register).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return ceremony::no_ceremony(),
        Err(response) => return response,
    };
    match passkey::finish_registration(
        &state.core,
        &user,
        &body.name,
        pending,
        &body.credential,
        ip,
    )
    .await
    {
        Ok(_) => ceremony::ok(serde_json::json!({ "redirect": back_to_account("added") })),
        Err(e) => ceremony::error(e),
    }
}

/// `POST /account/passkeys/{id}/rename`.
pub async fn rename(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn { user, .. }: SignedIn,
    Path(id): Path<String>,
    CsrfForm { web, form }: CsrfForm<NameField>,
) -> Result<Response, PageError> {
    // A NUL (`%00`) is in no id, and PostgreSQL text cannot hold it.
    if id.contains('\0') {
        return Err(PageError::NotFound);
    }
    match passkey::rename(&state.core, &user, &id, &form.name, ip).await {
        Ok(true) => Ok(Redirect::to(&back_to_account("renamed")).into_response()),
        // Another person's passkey, or none: the same as a missing page.
        Ok(false) => Err(PageError::NotFound),
        Err(Error::InvalidRequest(why)) => {
            let body = card(&state, &web, &user, None, Some(&why)).await?;
            Ok(html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&state, &web, "Passkeys", body),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct Nothing {}

/// `POST /account/passkeys/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn { user, .. }: SignedIn,
    Path(id): Path<String>,
    CsrfForm { .. }: CsrfForm<Nothing>,
) -> Result<Response, PageError> {
    let removal = step_up::Removal::Passkey;
    if let Err(Error::Refused(_)) = step_up::check_removal(&state.core, &user, removal).await {
        return Ok(Redirect::to(&back_to_account("required")).into_response());
    }
    if !id.contains('\0') && passkey::remove(&state.core, &user, &id, ip).await? {
        Ok(Redirect::to(&back_to_account("removed")).into_response())
    } else {
        Err(PageError::NotFound)
    }
}
