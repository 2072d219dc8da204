//! `POST /oauth/revoke`: token revocation (RFC 7009).

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use validator::Validate;

use crate::domain::Error;
use crate::domain::token::{self, TokenHint};
use crate::http::error::{ApiError, json_no_store};
use crate::http::extract::{ClientAuth, ClientIp, OAuthForm, client_credentials};
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate)]
pub struct RevokeForm {
    #[validate(length(max = 4096, message = "must be at most 4096 characters"))]
    pub token: Option<String>,
    #[validate(length(max = 64, message = "must be at most 64 characters"))]
    pub token_type_hint: Option<String>,
    #[validate(length(max = 255, message = "must be at most 255 characters"))]
    pub client_id: Option<String>,
    #[validate(length(max = 512, message = "must be at most 512 characters"))]
    pub client_secret: Option<String>,
}

/// RFC 7009 §2.2: 200 with an empty body whether or not the token was
/// known, so the answer reveals nothing about it.
pub async fn revoke(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    auth: ClientAuth,
    OAuthForm(form): OAuthForm<RevokeForm>,
) -> Result<Response, ApiError> {
    let client = client_credentials(auth, form.client_id, form.client_secret)?;
    let token = form
        .token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::InvalidRequest("token is required".into()))?;
    let hint = TokenHint::parse(form.token_type_hint.as_deref());
    token::revoke(
        &state.core,
        &client,
        &token,
        hint,
        ip.map(|ip| ip.to_string()),
    )
    .await?;
    Ok(json_no_store(serde_json::json!({})))
}
