//! `POST /oauth/token`: the token endpoint (RFC 6749 §3.2, RFC 8628 §3.4).

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::domain::Error;
use crate::domain::device_flow::{self, PollRequest};
use crate::domain::scope::Scopes;
use crate::domain::token::{self, RefreshRequest};
use crate::http::error::{ApiError, json_no_store};
use crate::http::extract::{ClientAuth, ClientIp, OAuthForm, client_credentials};
use crate::state::AppState;

/// The device-code grant type of RFC 8628 §3.4.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 6749 §6.
pub const REFRESH_TOKEN_GRANT: &str = "refresh_token";

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
    #[validate(length(max = 512, message = "must be at most 512 characters"))]
    pub refresh_token: Option<String>,
}

/// RFC 6749 §5.1.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

pub async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    auth: ClientAuth,
    OAuthForm(form): OAuthForm<TokenForm>,
) -> Result<Response, ApiError> {
    let grant_type = form
        .grant_type
        .as_deref()
        .filter(|g| !g.is_empty())
        .ok_or_else(|| Error::InvalidRequest("grant_type is required".into()))?;
    let issued = match grant_type {
        DEVICE_CODE_GRANT => {
            let client = client_credentials(auth, form.client_id, form.client_secret)?;
            let device_code = required(form.device_code, "device_code")?;
            // Some clients repeat `scope` on the token request. The grant
            // already fixed the scope, so it is only checked for syntax.
            Scopes::parse(form.scope.as_deref().unwrap_or("")).map_err(Error::InvalidScope)?;
            device_flow::poll(
                &state.core,
                PollRequest {
                    client,
                    device_code,
                },
            )
            .await?
        }
        REFRESH_TOKEN_GRANT => {
            let client = client_credentials(auth, form.client_id, form.client_secret)?;
            let refresh_token = required(form.refresh_token, "refresh_token")?;
            token::refresh(
                &state.core,
                RefreshRequest {
                    client,
                    refresh_token,
                    scope: form.scope,
                    ip: ip.map(|ip| ip.to_string()),
                },
            )
            .await?
        }
        other => {
            return Err(Error::UnsupportedGrantType(format!(
                "grant_type {other} is not supported; use {DEVICE_CODE_GRANT} or {REFRESH_TOKEN_GRANT}"
            ))
            .into());
        }
    };
    Ok(json_no_store(TokenResponse {
        access_token: issued.access_token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: issued.scope,
        refresh_token: issued.refresh_token,
    }))
}

fn required(value: Option<String>, name: &str) -> Result<String, Error> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::InvalidRequest(format!("{name} is required")))
}
