//! `POST /oauth/revoke`: token revocation (RFC 7009).

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::Error;
use crate::domain::token::{self, TokenHint};
use crate::http::error::{ApiError, ErrorBody, json_no_store};
use crate::http::extract::{BodyCredentials, ClientAuth, ClientIp, OAuthForm, client_credentials};
use crate::http::openapi::FORM;
use crate::http::paths;
use crate::model::Secret;
use crate::state::AppState;

/// RFC 7009 §2.1 revocation request.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RevokeForm {
    /// An access or refresh token; required.
    #[validate(length(max = 4096, message = "must be at most 4096 characters"))]
    #[schema(value_type = Option<String>, max_length = 4096, nullable = false)]
    pub token: Option<Secret>,
    /// `access_token` or `refresh_token`; other values are ignored.
    #[validate(length(max = 64, message = "must be at most 64 characters"))]
    #[schema(max_length = 64, example = "refresh_token", nullable = false)]
    pub token_type_hint: Option<String>,
    /// Required unless sent with HTTP Basic.
    #[validate(length(max = 255, message = "must be at most 255 characters"))]
    #[schema(max_length = 255, nullable = false)]
    pub client_id: Option<String>,
    #[validate(length(max = 512, message = "must be at most 512 characters"))]
    #[schema(value_type = Option<String>, max_length = 512, nullable = false)]
    pub client_secret: Option<Secret>,
    /// RFC 7523 `private_key_jwt`: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    #[validate(length(max = 255, message = "must be at most 255 characters"))]
    #[schema(
        pattern = "^urn:ietf:params:oauth:client-assertion-type:jwt-bearer$",
        max_length = 255,
        nullable = false
    )]
    pub client_assertion_type: Option<String>,
    /// RFC 7523: a JWT signed with the client's registered key, instead of a secret.
    #[validate(length(max = 8192, message = "must be at most 8192 characters"))]
    #[schema(value_type = Option<String>, max_length = 8192, nullable = false)]
    pub client_assertion: Option<Secret>,
}

impl crate::http::extract::form::OAuthParams for RevokeForm {}

/// An empty JSON object.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Empty {}

/// Revokes a token the client holds (RFC 7009).
///
/// RFC 7009 §2.2: 200 with an empty body whether or not the token was
/// known, so the answer reveals nothing about it.
#[utoipa::path(
    post,
    path = paths::REVOKE,
    tag = "device flow",
    request_body(content = RevokeForm, content_type = FORM),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, description = "Revoked, or not a token of this client", body = Empty),
        (status = 400, description = "`invalid_request` or `invalid_client` (no HTTP Basic)", body = ErrorBody),
        (status = 401, description = "`invalid_client` with HTTP Basic", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 413, description = "`invalid_request`: body over 64 KiB", body = ErrorBody),
        (status = 500, description = "`server_error`", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    auth: ClientAuth,
    OAuthForm(form): OAuthForm<RevokeForm>,
) -> Result<Response, ApiError> {
    let client = client_credentials(
        auth,
        BodyCredentials {
            client_id: form.client_id,
            client_secret: form.client_secret,
            assertion_type: form.client_assertion_type,
            assertion: form.client_assertion,
        },
    )?;
    let token = form
        .token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::InvalidRequest("token is required".into()))?;
    let token = token.expose();
    let hint = TokenHint::parse(form.token_type_hint.as_deref());
    token::revoke(
        &state.core,
        &client,
        token,
        hint,
        ip.map(|ip| ip.to_string()),
    )
    .await?;
    Ok(json_no_store(Empty {}))
}
