//! Discovery: authorization server metadata (RFC 8414) and the JWK Set.
//!
//! One document answers both `/.well-known/oauth-authorization-server` and
//! OpenID Connect Discovery's `/.well-known/openid-configuration`: the
//! OpenID members (`userinfo_endpoint`, `claims_supported`...) are
//! registered authorization server metadata too (RFC 8414 §7.1.2), so
//! OAuth clients lose nothing by seeing them.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::client_assertion;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::oauth::token::{
    AUTHORIZATION_CODE_GRANT, CLIENT_CREDENTIALS_GRANT, DEVICE_CODE_GRANT, REFRESH_TOKEN_GRANT,
};
use crate::http::paths;
use crate::state::AppState;

/// Authorization server metadata (RFC 8414 §2).
#[derive(Debug, Serialize, ToSchema)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub device_authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    /// OpenID Connect Core §5.3.
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    /// OpenID Connect RP-Initiated Logout 1.0 §2.1.
    pub end_session_endpoint: String,
    /// RFC 7591 §3; present only when REGISTRATION is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub registration_endpoint: Option<String>,
    #[schema(value_type = Vec<String>)]
    pub grant_types_supported: [&'static str; 4],
    /// `code` (RFC 6749 §4.1).
    #[schema(value_type = Vec<String>)]
    pub response_types_supported: [&'static str; 1],
    /// `query`: the code comes back in the redirect URI's query.
    #[schema(value_type = Vec<String>)]
    pub response_modes_supported: [&'static str; 1],
    /// `S256` (RFC 7636): `plain` is refused.
    #[schema(value_type = Vec<String>)]
    pub code_challenge_methods_supported: [&'static str; 1],
    /// RFC 9207: authorization responses carry `iss`.
    pub authorization_response_iss_parameter_supported: bool,
    pub scopes_supported: Vec<String>,
    #[schema(value_type = Vec<String>)]
    pub token_endpoint_auth_methods_supported: [&'static str; 4],
    #[schema(value_type = Vec<String>)]
    pub revocation_endpoint_auth_methods_supported: [&'static str; 4],
    #[schema(value_type = Vec<String>)]
    pub introspection_endpoint_auth_methods_supported: [&'static str; 3],
    /// The algorithm of the key that signs access and ID tokens; empty
    /// with HS256, which cannot sign ID tokens (`openid` is refused then).
    #[schema(value_type = Vec<String>)]
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    /// What ID tokens and UserInfo may carry.
    #[schema(value_type = Vec<String>)]
    pub claims_supported: [&'static str; 15],
    /// The `acr` classes tokens report and `acr_values` may ask for,
    /// weakest first (see `model/authn.rs`).
    #[schema(value_type = Vec<String>)]
    pub acr_values_supported: [&'static str; 3],
    /// `normal`: claims come from this server.
    #[schema(value_type = Vec<String>)]
    pub claim_types_supported: [&'static str; 1],
    /// What `private_key_jwt` assertions may be signed with (RFC 7523);
    /// the same for the revocation and introspection endpoints.
    #[schema(value_type = Vec<String>)]
    pub token_endpoint_auth_signing_alg_values_supported: [&'static str; 3],
    /// RFC 9449 §5.1: what DPoP proofs may be signed with. A client that
    /// sends one gets tokens bound to its key.
    #[schema(value_type = Vec<String>)]
    pub dpop_signing_alg_values_supported: [&'static str; 3],
    #[schema(value_type = Vec<String>)]
    pub revocation_endpoint_auth_signing_alg_values_supported: [&'static str; 3],
    #[schema(value_type = Vec<String>)]
    pub introspection_endpoint_auth_signing_alg_values_supported: [&'static str; 3],
    #[schema(value_type = Vec<String>)]
    pub subject_types_supported: [&'static str; 1],
    pub service_documentation: String,
}

/// The authorization server's metadata (RFC 8414).
///
/// Also served as `/.well-known/openid-configuration` for clients that
/// look there (the OpenAPI document lists both paths).
#[utoipa::path(
    get,
    path = paths::METADATA,
    tag = "discovery",
    responses(
        (status = 200, description = "The metadata document", body = Metadata,
            headers(("Cache-Control" = String, description = "`public, max-age=300`"))),
        (status = 500, description = "`server_error`", body = ErrorBody),
    )
)]
pub async fn metadata(State(state): State<AppState>) -> Result<Response, ApiError> {
    let id_token_alg = crate::domain::oidc::id_token_alg(&state.core);
    let issuer = state.core.policy.issuer.clone();
    let url = |path: &str| format!("{issuer}{path}");
    let body = Metadata {
        authorization_endpoint: url(paths::AUTHORIZE),
        device_authorization_endpoint: url(paths::DEVICE_AUTHORIZATION),
        token_endpoint: url(paths::TOKEN),
        revocation_endpoint: url(paths::REVOKE),
        introspection_endpoint: url(paths::INTROSPECT),
        userinfo_endpoint: url(paths::USERINFO),
        jwks_uri: url(paths::JWKS),
        end_session_endpoint: url(paths::END_SESSION),
        registration_endpoint: crate::domain::registration::enabled(&state.core)
            .then(|| url(paths::REGISTRATION)),
        grant_types_supported: [
            DEVICE_CODE_GRANT,
            AUTHORIZATION_CODE_GRANT,
            REFRESH_TOKEN_GRANT,
            CLIENT_CREDENTIALS_GRANT,
        ],
        response_types_supported: ["code"],
        response_modes_supported: ["query"],
        code_challenge_methods_supported: ["S256"],
        authorization_response_iss_parameter_supported: true,
        scopes_supported: crate::domain::client::scopes_supported(&state.core)
            .await?
            .to_vec(),
        token_endpoint_auth_methods_supported: [
            "none",
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        revocation_endpoint_auth_methods_supported: [
            "none",
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        introspection_endpoint_auth_methods_supported: [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        id_token_signing_alg_values_supported: id_token_alg
            .map(|a| a.as_str())
            .into_iter()
            .collect(),
        claims_supported: crate::model::oidc::CLAIMS,
        acr_values_supported: crate::model::authn::Acr::ALL.map(|a| a.as_str()),
        claim_types_supported: ["normal"],
        token_endpoint_auth_signing_alg_values_supported: client_assertion::ALGORITHMS,
        dpop_signing_alg_values_supported: crate::domain::dpop::ALGORITHMS,
        revocation_endpoint_auth_signing_alg_values_supported: client_assertion::ALGORITHMS,
        introspection_endpoint_auth_signing_alg_values_supported: client_assertion::ALGORITHMS,
        subject_types_supported: ["public"],
        service_documentation: url(paths::DEVICE),
        issuer,
    };
    Ok(cached(Json(body).into_response()))
}

/// One public key (RFC 7517 §4); which members appear depends on `kty`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwk {
    /// `EC`, `OKP` or `RSA`.
    pub kty: String,
    pub kid: String,
    /// `ES256`, `EdDSA` or `RS256`.
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// `P-256` or `Ed25519` (EC and OKP keys).
    #[schema(nullable = false)]
    pub crv: Option<String>,
    #[schema(nullable = false)]
    pub x: Option<String>,
    #[schema(nullable = false)]
    pub y: Option<String>,
    /// RSA modulus and exponent.
    #[schema(nullable = false)]
    pub n: Option<String>,
    #[schema(nullable = false)]
    pub e: Option<String>,
}

/// A JWK Set (RFC 7517 §5): the shape of [`jwks`]' answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// The public keys that verify access tokens (a JWK Set).
///
/// Empty while tokens are signed with the shared HS256 secret.
#[utoipa::path(
    get,
    path = paths::JWKS,
    tag = "discovery",
    responses(
        (status = 200, description = "The JWK Set", body = JwkSet, content_type = "application/jwk-set+json",
            headers(("Cache-Control" = String, description = "`public, max-age=300`"))),
    )
)]
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
