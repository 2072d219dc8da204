//! `POST /oauth/token`: the token endpoint (RFC 6749 §3.2, RFC 8628 §3.4).

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::domain::Error;
use crate::domain::device_flow::{self, PollRequest};
use crate::domain::scope::Scopes;
use crate::http::error::{ApiError, json_no_store};
use crate::http::extract::{ClientAuth, OAuthForm, client_credentials};
use crate::state::AppState;

/// The device-code grant type of RFC 8628 §3.4.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[derive(Debug, Deserialize, Validate)]
pub struct TokenForm {
    #[validate(length(max = 255, message = "must be at most 255 characters"))]
    pub grant_type: Option<String>,
    #[validate(length(max = 512, message = "must be at most 512 characters"))]
    pub device_code: Option<String>,
    #[validate(length(max = 255, message = "must be at most 255 characters"))]
    pub client_id: Option<String>,
    #[validate(length(max = 512, message = "must be at most 512 characters"))]
    pub client_secret: Option<String>,
    #[validate(length(max = 1024, message = "must be at most 1024 characters"))]
    pub scope: Option<String>,
}

/// RFC 6749 §5.1.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
}

pub async fn token(
    State(state): State<AppState>,
    auth: ClientAuth,
    OAuthForm(form): OAuthForm<TokenForm>,
) -> Result<Response, ApiError> {
    let grant_type = form
        .grant_type
        .as_deref()
        .filter(|g| !g.is_empty())
        .ok_or_else(|| Error::InvalidRequest("grant_type is required".into()))?;
    if grant_type != DEVICE_CODE_GRANT {
        return Err(Error::UnsupportedGrantType(format!(
            "grant_type {grant_type} is not supported; use {DEVICE_CODE_GRANT}"
        ))
        .into());
    }
    let client = client_credentials(auth, form.client_id, form.client_secret)?;
    let device_code = form
        .device_code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::InvalidRequest("device_code is required".into()))?;
    // Some clients repeat `scope` on the token request. The grant already
    // fixed the scope, so it is only checked for syntax, then ignored.
    Scopes::parse(form.scope.as_deref().unwrap_or("")).map_err(Error::InvalidScope)?;
    let issued = device_flow::poll(
        &state.core,
        PollRequest {
            client,
            device_code,
        },
    )
    .await?;
    Ok(json_no_store(TokenResponse {
        access_token: issued.access_token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: issued.scope,
    }))
}
