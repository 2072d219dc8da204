//! `/admin/clients/{id}/keys`: replacing the public keys of a client that
//! authenticates with a signed JWT (`private_key_jwt`) — a key rotation, or
//! a move between a registered JWK Set and a `jwks_uri`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::admin::Section;
use components::admin::clients::{ClientKeysInput, keys_form};
use components::feedback::Tone;
use serde::Deserialize;

use super::client_fields::given;
use super::extract::{AdminUser, IdPath};
use super::render::{Frame, admin_page};
use crate::domain::Error;
use crate::domain::admin::{self, Ctx};
use crate::domain::client::Client;
use crate::http::error::PageError;
use crate::http::paths::{self, with_id, with_query};
use crate::http::ui::session::CsrfForm;
use crate::model::client::ClientKeys;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct KeysFields {
    #[serde(default)]
    pub jwks: String,
    #[serde(default)]
    pub jwks_uri: String,
}

fn page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    client: &Client,
    fields: &KeysFields,
    error: Option<&str>,
) -> Response {
    let action = with_id(paths::ADMIN_CLIENT_KEYS, &client.id);
    let cancel = with_id(paths::ADMIN_CLIENT, &client.id);
    let keys = ClientKeysInput {
        jwks: &fields.jwks,
        jwks_uri: &fields.jwks_uri,
    };
    let body = keys_form(&action, &admin.web.csrf, &keys, error, &cancel);
    let title = format!("Keys of {}", client.name);
    let frame = Frame::new(Section::Clients, &title)
        .subtitle("The public keys its signed client assertions are checked with.")
        .notice(error.map(|_| (Tone::Error, "Check the keys.")));
    admin_page(state, admin, status, frame, body)
}

/// The client, if it authenticates with keys; the page means nothing for
/// one with a secret or none.
async fn key_client(state: &AppState, id: &str) -> Result<Client, PageError> {
    let client = admin::find_client(&Ctx::of(&state.core), id).await?;
    if client.keys.is_none() {
        return Err(PageError::BadRequest(
            "This client does not authenticate with keys.".into(),
        ));
    }
    Ok(client)
}

pub async fn form(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
) -> Result<Response, PageError> {
    let client = key_client(&state, &id).await?;
    let fields = match &client.keys {
        Some(ClientKeys::Jwks(json)) => KeysFields {
            jwks: json.clone(),
            ..KeysFields::default()
        },
        Some(ClientKeys::JwksUri(uri)) => KeysFields {
            jwks_uri: uri.clone(),
            ..KeysFields::default()
        },
        None => KeysFields::default(),
    };
    Ok(page(&state, &admin, StatusCode::OK, &client, &fields, None))
}

/// `POST /admin/clients/{id}/keys`: checks and stores the new keys.
pub async fn replace(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { form, .. }: CsrfForm<KeysFields>,
) -> Result<Response, PageError> {
    let client = key_client(&state, &id).await?;
    let keys = match admin::client_keys(given(&form.jwks), given(&form.jwks_uri)) {
        Ok(Some(keys)) => keys,
        Ok(None) => {
            let why = "Paste its JWK Set or give the URL of its keys.";
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(page(&state, &admin, status, &client, &form, Some(why)));
        }
        Err(Error::InvalidRequest(why)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(page(&state, &admin, status, &client, &form, Some(&why)));
        }
        Err(e) => return Err(e.into()),
    };
    admin::set_client_keys(&Ctx::of(&state.core), &admin.actor(), &client.id, keys).await?;
    let back = with_query(&with_id(paths::ADMIN_CLIENT, &client.id), &[("keys", "1")]);
    Ok(Redirect::to(&back).into_response())
}
