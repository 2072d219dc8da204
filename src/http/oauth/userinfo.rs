//! `GET` and `POST /oauth/userinfo`: OpenID Connect's UserInfo endpoint
//! (Core §5.3), a protected resource in RFC 6750's terms.
//!
//! The access token comes as `Authorization: Bearer` or, on POST, as the
//! form parameter `access_token` (RFC 6750 §2.1, §2.2) — never from the
//! query string, which ends up in logs. It is checked exactly as
//! tokeninfo checks it (the same cached path). A DPoP-bound token comes as
//! `Authorization: DPoP` with a proof of its key (RFC 9449 §7.1); as
//! `Bearer` it is refused.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{Error, oidc};
use crate::http::error::{ApiError, ErrorBody, json_no_store, no_store};
use crate::http::extract::{Presented, presented_token, proven_token};
use crate::http::openapi::FORM;
use crate::http::paths;
use crate::state::AppState;

/// Core §5.3.2: `sub` and the claims the token's scopes release; claims
/// without a value are left out.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserInfoResponse {
    /// The user id, as in the ID token.
    pub sub: String,
    /// Display name (`profile` scope), when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// The username (`profile` scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub preferred_username: Option<String>,
    /// `email` scope, when an address is recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub email: Option<String>,
    /// Whether an administrator verified `email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub email_verified: Option<bool>,
}

/// The form of a POST (RFC 6750 §2.2), documented for the fuzzer.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UserInfoForm {
    /// The access token, when not sent as `Authorization: Bearer`.
    #[schema(max_length = 4096, nullable = false)]
    pub access_token: Option<String>,
}

/// OpenID Connect UserInfo: claims about the signed-in user.
///
/// Needs an access token whose scope holds `openid` and whose audience is
/// AuthGate itself, not another API (RFC 8707). Without a token the
/// answer is a bare `WWW-Authenticate: Bearer` challenge (RFC 6750 §3.1).
#[utoipa::path(
    get,
    path = paths::USERINFO,
    tag = "resource servers",
    security(("access_token" = [])),
    responses(
        (status = 200, description = "Claims about the user", body = UserInfoResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`invalid_request`: a token in two places", body = ErrorBody),
        (status = 401, description = "No token (a bare challenge), or `invalid_token`: unknown, expired, revoked, badly signed, issued for another resource (RFC 8707 `aud`), or DPoP-bound and sent as Bearer; `invalid_dpop_proof`: a token sent as `DPoP` without a good proof of its key", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 403, description = "`insufficient_scope`: the token lacks `openid`", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 500, description = "`server_error`", body = ErrorBody),
    )
)]
pub async fn userinfo_get(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let presented = presented_token(&headers);
    answer(&state, &headers, "GET", presented).await
}

/// OpenID Connect UserInfo by POST: the token as a bearer header or the
/// form's `access_token` (RFC 6750 §2.2), not both.
#[utoipa::path(
    post,
    path = paths::USERINFO,
    tag = "resource servers",
    request_body(content = UserInfoForm, content_type = FORM),
    security(("access_token" = []), ()),
    responses(
        (status = 200, description = "Claims about the user", body = UserInfoResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`invalid_request`: a token in two places, or a repeated or malformed form", body = ErrorBody),
        (status = 401, description = "No token (a bare challenge), or `invalid_token`", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 403, description = "`insufficient_scope`: the token lacks `openid`", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 413, description = "`invalid_request`: body over 64 KiB", body = ErrorBody),
        (status = 500, description = "`server_error`", body = ErrorBody),
    )
)]
pub async fn userinfo_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError(Error::PayloadTooLarge)
        } else {
            ApiError(Error::InvalidRequest(
                "the request body could not be read".into(),
            ))
        }
    })?;
    let from_form = form_token(&headers, &body)?;
    let token = match (presented_token(&headers), from_form) {
        (Some(_), Some(_)) => {
            return Err(
                Error::InvalidRequest("send the access token in one place only".into()).into(),
            );
        }
        (header, form) => header.or(form.map(Presented::Bearer)),
    };
    answer(&state, &headers, "POST", token).await
}

/// The form's `access_token`, when the body is a form (RFC 6750 §2.2);
/// other bodies are ignored.
fn form_token(headers: &HeaderMap, body: &[u8]) -> Result<Option<String>, ApiError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(FORM));
    if !is_form {
        return Ok(None);
    }
    let mut found = None;
    for (name, value) in form_urlencoded::parse(body) {
        if name == "access_token" {
            if found.is_some() {
                return Err(Error::InvalidRequest("access_token is repeated".into()).into());
            }
            found = Some(value.into_owned());
        }
    }
    Ok(found.filter(|t| !t.is_empty()))
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    method: &str,
    presented: Option<Presented>,
) -> Result<Response, ApiError> {
    let Some(presented) = presented else {
        return Ok(challenge());
    };
    let (token, dpop_jkt) =
        proven_token(&state.core, headers, presented, method, paths::USERINFO).await?;
    let info = oidc::userinfo(&state.core, &token, dpop_jkt.as_deref()).await?;
    Ok(json_no_store(UserInfoResponse {
        sub: info.sub,
        name: info.claims.name,
        preferred_username: info.claims.preferred_username,
        email: info.claims.email,
        email_verified: info.claims.email_verified,
    }))
}

/// RFC 6750 §3.1: a request without credentials gets the scheme only, no
/// error code.
fn challenge() -> Response {
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"authgate\""),
    );
    // RFC 9449 §7.1: DPoP is offered too.
    headers.append(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("DPoP algs=\"ES256 EdDSA RS256\""),
    );
    no_store(headers);
    response
}
