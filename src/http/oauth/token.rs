//! `POST /oauth/token`: the token endpoint (RFC 6749 §3.2, RFC 8628 §3.4,
//! RFC 6749 §4.1.3 with RFC 7636 §4.5).

use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::device_flow::{self, PollRequest};
use crate::domain::dpop::{self, Place};
use crate::domain::token::{self, ClientCredentialsRequest, CodeRequest, RefreshRequest};
use crate::domain::{Error, token::IssuedToken};
use crate::http::error::{ApiError, ErrorBody, json_no_store};
use crate::http::extract::form::OAuthParams;
use crate::http::extract::{
    BodyCredentials, ClientAuth, ClientIp, DpopProof, OAuthForm, client_credentials,
};
use crate::http::openapi::FORM;
use crate::http::paths;
use crate::model::Secret;
use crate::model::scope::Scopes;
use crate::state::AppState;

/// The device-code grant type of RFC 8628 §3.4.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 6749 §6.
pub const REFRESH_TOKEN_GRANT: &str = "refresh_token";
/// RFC 6749 §4.4.
pub const CLIENT_CREDENTIALS_GRANT: &str = "client_credentials";
/// RFC 6749 §4.1.3.
pub const AUTHORIZATION_CODE_GRANT: &str = "authorization_code";

#[derive(Debug, Deserialize, Validate)]
pub struct TokenForm {
    #[validate(length(max = 255, message = "must be at most 255 characters"))]
    pub grant_type: Option<String>,
    #[validate(length(max = 512, message = "must be at most 512 characters"))]
    pub device_code: Option<Secret>,
    #[validate(length(max = 255, message = "must be at most 255 characters"))]
    pub client_id: Option<String>,
    #[validate(length(max = 512, message = "must be at most 512 characters"))]
    pub client_secret: Option<Secret>,
    /// RFC 7523 `private_key_jwt`: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    #[validate(length(max = 255, message = "must be at most 255 characters"))]
    pub client_assertion_type: Option<String>,
    /// RFC 7523: a JWT signed with the client's registered key, instead of a secret.
    #[validate(length(max = 8192, message = "must be at most 8192 characters"))]
    pub client_assertion: Option<Secret>,
    #[validate(length(max = 1024, message = "must be at most 1024 characters"))]
    pub scope: Option<String>,
    #[validate(length(max = 512, message = "must be at most 512 characters"))]
    pub refresh_token: Option<Secret>,
    #[validate(length(max = 512, message = "must be at most 512 characters"))]
    pub code: Option<Secret>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    pub redirect_uri: Option<String>,
    #[validate(length(max = 512, message = "must be at most 512 characters"))]
    pub code_verifier: Option<Secret>,
    /// RFC 8707 `resource`, repeatable: filled by [`OAuthParams`], not serde.
    #[serde(skip)]
    pub resource: Vec<String>,
}

impl OAuthParams for TokenForm {
    fn set_resources(&mut self, resources: Vec<String>) {
        self.resource = resources;
    }
}

/// The token request as documented: one shape per grant. [`TokenForm`]
/// parses leniently so that a missing or wrong field is answered with the
/// RFC error code rather than a deserialisation failure.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum TokenRequest {
    DeviceCode(DeviceCodeGrant),
    AuthorizationCode(AuthorizationCodeGrant),
    RefreshToken(RefreshTokenGrant),
    ClientCredentials(ClientCredentialsGrant),
}

/// RFC 6749 §4.4: a confidential client's token for itself (`sub` is the
/// client; no refresh token; no `openid`, `profile`, `email` or
/// `offline_access`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClientCredentialsGrant {
    #[schema(value_type = String, pattern = "^client_credentials$", example = "client_credentials")]
    pub grant_type: String,
    /// A subset of the client's scopes; all of them when absent.
    #[schema(max_length = 1024, nullable = false)]
    pub scope: Option<String>,
    /// RFC 8707: the API the token is for, one of the client's registered
    /// resources (absolute URI, no fragment); repeat it for several. The
    /// token's `aud` is the resource (an array for several), else the
    /// issuer. A malformed or unregistered one is `invalid_target`.
    #[schema(value_type = Option<Vec<String>>, nullable = false)]
    pub resource: Option<Vec<String>>,
    /// Required unless sent with HTTP Basic or in a client assertion.
    #[schema(max_length = 255, nullable = false)]
    pub client_id: Option<String>,
    #[schema(value_type = Option<String>, max_length = 512, nullable = false)]
    pub client_secret: Option<Secret>,
    /// RFC 7523 `private_key_jwt`: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    #[schema(
        pattern = "^urn:ietf:params:oauth:client-assertion-type:jwt-bearer$",
        max_length = 255,
        nullable = false
    )]
    pub client_assertion_type: Option<String>,
    /// RFC 7523: a JWT signed with the client's registered key.
    #[schema(value_type = Option<String>, max_length = 8192, nullable = false)]
    pub client_assertion: Option<Secret>,
}

/// RFC 6749 §4.1.3 with RFC 7636 §4.5: redeem an authorization code,
/// once. A public client sends its `client_id` and the PKCE verifier.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AuthorizationCodeGrant {
    #[schema(value_type = String, pattern = "^authorization_code$", example = "authorization_code")]
    pub grant_type: String,
    #[schema(value_type = String, max_length = 512)]
    pub code: Secret,
    /// Required when the authorization request carried one; then identical.
    #[schema(max_length = 2000, nullable = false)]
    pub redirect_uri: Option<String>,
    /// Required when the authorization request carried a `code_challenge`.
    #[schema(value_type = Option<String>, min_length = 43, max_length = 128, nullable = false)]
    pub code_verifier: Option<Secret>,
    /// RFC 8707 §2.2: some of the resources the authorization request named
    /// and the person approved (all of them when absent); repeat it for
    /// several. Another one is `invalid_target`.
    #[schema(value_type = Option<Vec<String>>, nullable = false)]
    pub resource: Option<Vec<String>>,
    /// Required unless sent with HTTP Basic.
    #[schema(max_length = 255, nullable = false)]
    pub client_id: Option<String>,
    #[schema(value_type = Option<String>, max_length = 512, nullable = false)]
    pub client_secret: Option<Secret>,
    /// RFC 7523 `private_key_jwt`: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    #[schema(
        pattern = "^urn:ietf:params:oauth:client-assertion-type:jwt-bearer$",
        max_length = 255,
        nullable = false
    )]
    pub client_assertion_type: Option<String>,
    /// RFC 7523: a JWT signed with the client's registered key, instead of a secret.
    #[schema(value_type = Option<String>, max_length = 8192, nullable = false)]
    pub client_assertion: Option<Secret>,
}

/// RFC 8628 §3.4: redeem a device code. The client authenticates as on the
/// device authorization endpoint (`client_id`, `client_secret_post` or
/// HTTP Basic).
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeviceCodeGrant {
    #[schema(value_type = String, pattern = "^urn:ietf:params:oauth:grant-type:device_code$", example = "urn:ietf:params:oauth:grant-type:device_code")]
    pub grant_type: String,
    #[schema(value_type = String, max_length = 512)]
    pub device_code: Secret,
    /// Required unless sent with HTTP Basic.
    #[schema(max_length = 255, nullable = false)]
    pub client_id: Option<String>,
    #[schema(value_type = Option<String>, max_length = 512, nullable = false)]
    pub client_secret: Option<Secret>,
    /// RFC 7523 `private_key_jwt`: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    #[schema(
        pattern = "^urn:ietf:params:oauth:client-assertion-type:jwt-bearer$",
        max_length = 255,
        nullable = false
    )]
    pub client_assertion_type: Option<String>,
    /// RFC 7523: a JWT signed with the client's registered key, instead of a secret.
    #[schema(value_type = Option<String>, max_length = 8192, nullable = false)]
    pub client_assertion: Option<Secret>,
    /// Tolerated and only checked for syntax: the grant fixed the scope.
    #[schema(max_length = 1024, nullable = false)]
    pub scope: Option<String>,
    /// RFC 7636: required when the device request carried a `code_challenge`.
    #[schema(value_type = Option<String>, min_length = 43, max_length = 128, nullable = false)]
    pub code_verifier: Option<Secret>,
    /// RFC 8707 §2.2: some of the resources the device request named and
    /// the person approved (all of them when absent); repeat it for
    /// several. Another one is `invalid_target`.
    #[schema(value_type = Option<Vec<String>>, nullable = false)]
    pub resource: Option<Vec<String>>,
}

/// RFC 6749 §6: exchange a refresh token (rotated on every use) for a new
/// access token, optionally with a narrower scope.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshTokenGrant {
    #[schema(value_type = String, pattern = "^refresh_token$", example = "refresh_token")]
    pub grant_type: String,
    #[schema(value_type = String, max_length = 512)]
    pub refresh_token: Secret,
    /// Required unless sent with HTTP Basic.
    #[schema(max_length = 255, nullable = false)]
    pub client_id: Option<String>,
    #[schema(value_type = Option<String>, max_length = 512, nullable = false)]
    pub client_secret: Option<Secret>,
    /// RFC 7523 `private_key_jwt`: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    #[schema(
        pattern = "^urn:ietf:params:oauth:client-assertion-type:jwt-bearer$",
        max_length = 255,
        nullable = false
    )]
    pub client_assertion_type: Option<String>,
    /// RFC 7523: a JWT signed with the client's registered key, instead of a secret.
    #[schema(value_type = Option<String>, max_length = 8192, nullable = false)]
    pub client_assertion: Option<Secret>,
    /// A subset of the granted scope.
    #[schema(max_length = 1024, nullable = false)]
    pub scope: Option<String>,
    /// RFC 8707: some of the grant's resources for this access token (all
    /// of them when absent; the refresh token keeps them all). Another one
    /// is `invalid_target`.
    #[schema(value_type = Option<Vec<String>>, nullable = false)]
    pub resource: Option<Vec<String>>,
}

/// RFC 6749 §5.1. No `Debug`: it carries the tokens.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// A signed JWT.
    pub access_token: String,
    #[schema(value_type = String, example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub scope: String,
    /// When the client may have refresh tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub refresh_token: Option<String>,
    /// OpenID Connect Core §3.1.3.3: a signed JWT about the user, when the
    /// scope holds `openid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub id_token: Option<String>,
}

/// The token endpoint: device-code, authorization-code and refresh-token
/// grants.
///
/// Device-flow polling answers follow RFC 8628 §3.5: `authorization_pending`,
/// `slow_down` (with the new `interval`), `access_denied` and
/// `expired_token` are all 400. A device code redeemed twice is
/// `invalid_grant` and revokes the tokens it produced, and so is an
/// authorization code used twice (RFC 6749 §4.1.2).
///
/// With a `DPoP` proof (RFC 9449) the access token is bound to the proof's
/// key: `token_type` is `DPoP` and the JWT carries `cnf.jkt`.
#[utoipa::path(
    post,
    path = paths::TOKEN,
    tag = "device flow",
    request_body(content = TokenRequest, content_type = FORM),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, description = "Tokens issued", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`invalid_request`, `invalid_client` (no HTTP Basic), `invalid_grant`, \
            `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`, `invalid_target` (RFC 8707 \
            `resource` malformed, not registered for the client, or not approved for the grant), `authorization_pending`, \
            `slow_down` (with `interval`), `access_denied` or `expired_token`; `invalid_dpop_proof` (a `DPoP` \
            header that is repeated, malformed, for another request, too old or replayed) or `use_dpop_nonce` \
            (DPOP_NONCE on: retry with the `DPoP-Nonce` sent)", body = ErrorBody),
        (status = 401, description = "`invalid_client` with HTTP Basic", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 413, description = "`invalid_request`: body over 64 KiB", body = ErrorBody),
        (status = 500, description = "`server_error`", body = ErrorBody),
    )
)]
pub async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    DpopProof(proof): DpopProof,
    auth: ClientAuth,
    OAuthForm(form): OAuthForm<TokenForm>,
) -> Response {
    let mut response = match grant(&state, ip, proof, auth, form).await {
        Ok(issued) => json_no_store(TokenResponse {
            // RFC 9449 §5: a bound token is a DPoP token.
            token_type: if issued.dpop_bound { "DPoP" } else { "Bearer" },
            access_token: issued.access_token,
            expires_in: issued.expires_in,
            scope: issued.scope,
            refresh_token: issued.refresh_token,
            id_token: issued.id_token,
        }),
        Err(e) => e.into_response(),
    };
    // RFC 9449 §8: every answer carries the nonce for the next proof.
    if let Some(nonce) = dpop::nonce(&state.core)
        && let Ok(value) = HeaderValue::from_str(&nonce)
    {
        response.headers_mut().insert("dpop-nonce", value);
    }
    response
}

/// Issues the tokens of one grant.
async fn grant(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    proof: Option<String>,
    auth: ClientAuth,
    mut form: TokenForm,
) -> Result<IssuedToken, ApiError> {
    let grant_type = form
        .grant_type
        .as_deref()
        .filter(|g| !g.is_empty())
        .ok_or_else(|| Error::InvalidRequest("grant_type is required".into()))?;
    // RFC 9449 §5: with a valid proof, every grant's token is bound to
    // the proof's key.
    let dpop_jkt = dpop::prove(
        &state.core,
        proof.as_deref(),
        "POST",
        paths::TOKEN,
        None,
        Place::TokenEndpoint,
    )
    .await?;
    let issued = match grant_type {
        DEVICE_CODE_GRANT => {
            let client = client_credentials(auth, form.body_credentials())?;
            let device_code = required(form.device_code, "device_code")?;
            // Some clients repeat `scope` on the token request. The grant
            // already fixed the scope, so it is only checked for syntax.
            Scopes::parse(form.scope.as_deref().unwrap_or("")).map_err(Error::InvalidScope)?;
            device_flow::poll(
                &state.core,
                PollRequest {
                    client,
                    device_code,
                    code_verifier: form.code_verifier.filter(|v| !v.is_empty()),
                    resources: form.resource,
                    dpop_jkt: dpop_jkt.clone(),
                },
            )
            .await?
        }
        AUTHORIZATION_CODE_GRANT => {
            let client = client_credentials(auth, form.body_credentials())?;
            let code = required(form.code, "code")?;
            token::redeem_authorization_code(
                &state.core,
                CodeRequest {
                    client,
                    code,
                    redirect_uri: form.redirect_uri.filter(|u| !u.is_empty()),
                    code_verifier: form.code_verifier.filter(|v| !v.is_empty()),
                    ip: ip.map(|ip| ip.to_string()),
                    resources: form.resource,
                    dpop_jkt: dpop_jkt.clone(),
                },
            )
            .await?
        }
        REFRESH_TOKEN_GRANT => {
            let client = client_credentials(auth, form.body_credentials())?;
            let refresh_token = required(form.refresh_token, "refresh_token")?;
            token::refresh(
                &state.core,
                RefreshRequest {
                    client,
                    refresh_token,
                    scope: form.scope,
                    ip: ip.map(|ip| ip.to_string()),
                    resources: form.resource,
                    dpop_jkt: dpop_jkt.clone(),
                },
            )
            .await?
        }
        CLIENT_CREDENTIALS_GRANT => {
            let client = client_credentials(auth, form.body_credentials())?;
            token::issue_to_client(
                &state.core,
                ClientCredentialsRequest {
                    client,
                    scope: form.scope,
                    resources: form.resource,
                    dpop_jkt: dpop_jkt.clone(),
                },
            )
            .await?
        }
        other => {
            return Err(Error::UnsupportedGrantType(format!(
                "grant_type {other} is not supported; use {DEVICE_CODE_GRANT}, \
                 {AUTHORIZATION_CODE_GRANT}, {REFRESH_TOKEN_GRANT} or {CLIENT_CREDENTIALS_GRANT}"
            ))
            .into());
        }
    };
    Ok(issued)
}

impl TokenForm {
    /// The client authentication the body carries.
    fn body_credentials(&mut self) -> BodyCredentials {
        BodyCredentials {
            client_id: self.client_id.take(),
            client_secret: self.client_secret.take(),
            assertion_type: self.client_assertion_type.take(),
            assertion: self.client_assertion.take(),
        }
    }
}

fn required(value: Option<Secret>, name: &str) -> Result<Secret, Error> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::InvalidRequest(format!("{name} is required")))
}
