//! Discovery: authorization server metadata (RFC 8414) and the JWK Set.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::http::error::ApiError;
use crate::http::oauth::token::{DEVICE_CODE_GRANT, REFRESH_TOKEN_GRANT};
use crate::http::paths;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct Metadata {
    pub issuer: String,
    pub device_authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    pub jwks_uri: String,
    pub grant_types_supported: [&'static str; 2],
    pub response_types_supported: [&'static str; 0],
    pub scopes_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: [&'static str; 3],
    pub revocation_endpoint_auth_methods_supported: [&'static str; 3],
    pub introspection_endpoint_auth_methods_supported: [&'static str; 2],
    pub id_token_signing_alg_values_supported: [&'static str; 0],
    pub token_endpoint_auth_signing_alg_values_supported: [&'static str; 0],
    pub subject_types_supported: [&'static str; 1],
    pub service_documentation: String,
}

/// `GET /.well-known/oauth-authorization-server` (also served as
/// `/.well-known/openid-configuration` for clients that look there).
pub async fn metadata(State(state): State<AppState>) -> Result<Response, ApiError> {
    let issuer = state.core.policy.issuer.clone();
    let url = |path: &str| format!("{issuer}{path}");
    let body = Metadata {
        device_authorization_endpoint: url(paths::DEVICE_AUTHORIZATION),
        token_endpoint: url(paths::TOKEN),
        revocation_endpoint: url(paths::REVOKE),
        introspection_endpoint: url(paths::INTROSPECT),
        jwks_uri: url(paths::JWKS),
        grant_types_supported: [DEVICE_CODE_GRANT, REFRESH_TOKEN_GRANT],
        response_types_supported: [],
        scopes_supported: state
            .core
            .store
            .all_client_scopes()
            .await
            .map_err(crate::domain::Error::from)?,
        token_endpoint_auth_methods_supported: [
            "none",
            "client_secret_basic",
            "client_secret_post",
        ],
        revocation_endpoint_auth_methods_supported: [
            "none",
            "client_secret_basic",
            "client_secret_post",
        ],
        introspection_endpoint_auth_methods_supported: [
            "client_secret_basic",
            "client_secret_post",
        ],
        id_token_signing_alg_values_supported: [],
        token_endpoint_auth_signing_alg_values_supported: [],
        subject_types_supported: ["public"],
        service_documentation: url(paths::DEVICE),
        issuer,
    };
    Ok(cached(Json(body).into_response()))
}

/// `GET /.well-known/jwks.json`: the public keys that verify access tokens.
pub async fn jwks(State(state): State<AppState>) -> Response {
    let mut response = Json(state.core.signer.ring().jwks()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    cached(response)
}

/// Discovery documents change rarely; a short cache spares resource servers
/// a round trip per token without delaying a key rotation much.
fn cached(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
