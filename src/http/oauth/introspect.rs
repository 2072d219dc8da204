//! `POST /oauth/introspect`: token introspection for resource servers
//! (RFC 7662).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::crypto::constant_time_eq;
use crate::crypto::jwt::{Audience, Confirmation};
use crate::domain::token::{self, Introspection, TokenHint};
use crate::domain::{Error, client};
use crate::http::error::{ApiError, ErrorBody, json_no_store};
use crate::http::extract::{
    BodyCredentials, ClientAuth, OAuthForm, bearer_token, client_credentials,
};
use crate::http::openapi::FORM;
use crate::http::paths;
use crate::model::Secret;
use crate::state::AppState;

/// RFC 7662 §2.1 introspection request.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct IntrospectForm {
    /// The token to examine; required.
    #[validate(length(max = 4096, message = "must be at most 4096 characters"))]
    #[schema(value_type = Option<String>, max_length = 4096, nullable = false)]
    pub token: Option<Secret>,
    /// `access_token` or `refresh_token`; other values are ignored.
    #[validate(length(max = 64, message = "must be at most 64 characters"))]
    #[schema(max_length = 64, example = "access_token", nullable = false)]
    pub token_type_hint: Option<String>,
    /// A confidential client (`client_secret_post`), when not using HTTP
    /// Basic or the introspection bearer token.
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

impl crate::http::extract::form::OAuthParams for IntrospectForm {}

/// RFC 7662 §2.2; only `active` for inactive tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntrospectionResponse {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub username: Option<String>,
    /// `access_token` or `refresh_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable = false)]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub sub: Option<String>,
    /// The issuer, or the RFC 8707 resource(s) the token was issued for
    /// (an array when several).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, nullable = false)]
    pub aud: Option<Audience>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub jti: Option<String>,
    /// When the person behind the grant signed in (OpenID Connect).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub auth_time: Option<i64>,
    /// How they signed in (RFC 8176), e.g. `["pwd","otp","mfa"]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub amr: Option<Vec<String>>,
    /// The class those methods reach (see `acr_values_supported`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub acr: Option<&'static str>,
    /// RFC 9449 §6.2: `{"jkt": ...}`, the DPoP key an access token is
    /// bound to (its `token_type` is then `DPoP`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, nullable = false)]
    pub cnf: Option<Confirmation>,
}

/// Token introspection for resource servers (RFC 7662).
///
/// Callers authenticate as a confidential client or with the configured
/// introspection bearer token (RFC 7662 §2.1); public clients may not
/// probe tokens.
#[utoipa::path(
    post,
    path = paths::INTROSPECT,
    tag = "resource servers",
    request_body(content = IntrospectForm, content_type = FORM),
    security(("client_basic" = []), ("introspection_token" = []), ()),
    responses(
        (status = 200, description = "The token's state; only `active: false` for an unusable token",
            body = IntrospectionResponse),
        (status = 400, description = "`invalid_request`, or `invalid_client` with `client_secret_post`", body = ErrorBody),
        (status = 401, description = "`invalid_client`: not a confidential client nor the introspection token", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 413, description = "`invalid_request`: body over 64 KiB", body = ErrorBody),
        (status = 500, description = "`server_error`", body = ErrorBody),
    )
)]
pub async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: ClientAuth,
    OAuthForm(form): OAuthForm<IntrospectForm>,
) -> Result<Response, ApiError> {
    let bearer = bearer_token(&headers);
    let authorised = match (&bearer, &state.http.introspection_token) {
        (Some(presented), Some(expected)) => {
            constant_time_eq(presented.as_bytes(), expected.expose_secret().as_bytes())
        }
        (Some(_), None) => false,
        (None, _) => {
            let creds = client_credentials(
                auth,
                BodyCredentials {
                    client_id: form.client_id,
                    client_secret: form.client_secret,
                    assertion_type: form.client_assertion_type,
                    assertion: form.client_assertion,
                },
            )?;
            let client = client::authenticate(&state.core, &creds).await?;
            client.is_confidential()
        }
    };
    if !authorised {
        return Err(Error::InvalidClient {
            description:
                "introspection needs confidential client credentials or the introspection token"
                    .into(),
            basic_auth: true,
        }
        .into());
    }
    let token = form
        .token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::InvalidRequest("token is required".into()))?;
    let token = token.expose();
    let hint = TokenHint::parse(form.token_type_hint.as_deref());
    let issuer = &state.core.policy.issuer;
    let body = match token::introspect(&state.core, token, hint).await? {
        Introspection::Inactive => IntrospectionResponse {
            active: false,
            scope: None,
            client_id: None,
            username: None,
            token_type: None,
            exp: None,
            iat: None,
            sub: None,
            aud: None,
            iss: None,
            jti: None,
            auth_time: None,
            amr: None,
            acr: None,
            cnf: None,
        },
        Introspection::Active {
            token_type,
            scope,
            client_id,
            username,
            sub,
            exp,
            iat,
            jti,
            authn,
            resources,
            dpop_jkt,
        } => IntrospectionResponse {
            active: true,
            scope: Some(scope),
            client_id: Some(client_id),
            username,
            token_type: Some(token_type),
            exp: Some(exp),
            iat: Some(iat),
            sub: Some(sub),
            aud: Some(Audience::of_access_token(issuer, &resources)),
            iss: Some(issuer.clone()),
            jti,
            auth_time: authn.as_ref().map(|a| a.time.0),
            acr: authn.as_ref().map(|a| a.amr.acr().as_str()),
            amr: authn.map(|a| a.amr.values().to_vec()),
            cnf: Confirmation::of(dpop_jkt.as_deref()),
        },
    };
    Ok(json_no_store(body))
}
