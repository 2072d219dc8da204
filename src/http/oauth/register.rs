//! `/oauth/register`: dynamic client registration (RFC 7591) and, at
//! `/oauth/register/{client_id}`, its management protocol (RFC 7592). JSON
//! in and out; the rules are in `domain/registration`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Error;
use crate::domain::registration::metadata::MetadataRequest;
use crate::domain::registration::{self, Requester, UpdateIdentity};
use crate::domain::throttle::network_of;
use crate::http::error::{ApiError, ErrorBody, json_no_store};
use crate::http::extract::{ClientIp, UserAgent, bearer_token};
use crate::http::limits;
use crate::http::paths;
use crate::metrics::Limit;
use crate::model::Secret;
use crate::model::client::ClientStatus;
use crate::model::registration::RegisteredMetadata;
use crate::state::AppState;

/// The largest registration request, in bytes: ten redirect URIs and an
/// 8 KiB JWK Set fit with room to spare.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Client metadata (RFC 7591 §2). Unknown members are ignored (§2); those
/// left out take the RFC's defaults: `grant_types` `["authorization_code"]`,
/// `response_types` `["code"]`, `token_endpoint_auth_method`
/// `client_secret_basic`, `scope` the server's default.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct ClientMetadataBody {
    /// https, or http on 127.0.0.1 / [::1] (any port matches); no fragment; at most 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, max_items = 10, example = json!(["http://127.0.0.1:33418/callback"]))]
    pub redirect_uris: Option<Vec<String>>,
    /// `none`, `client_secret_basic`, `client_secret_post` or `private_key_jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "none")]
    pub token_endpoint_auth_method: Option<String>,
    /// `authorization_code`, `refresh_token`, `client_credentials`,
    /// `urn:ietf:params:oauth:grant-type:device_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub grant_types: Option<Vec<String>>,
    /// `code` with the authorization code grant; empty without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub response_types: Option<Vec<String>>,
    /// Shown to people on the consent page; at most 100 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, max_length = 100)]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub client_uri: Option<String>,
    /// Space-separated; only scopes the server knows (`scopes_supported`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "read")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, max_items = 5)]
    pub contacts: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, max_length = 255)]
    pub software_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, max_length = 255)]
    pub software_version: Option<String>,
    /// `private_key_jwt` only: where the client publishes its JWK Set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub jwks_uri: Option<String>,
    /// `private_key_jwt` only: the client's JWK Set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, nullable = false)]
    pub jwks: Option<serde_json::Value>,
}

impl ClientMetadataBody {
    fn request(&self) -> MetadataRequest {
        MetadataRequest {
            redirect_uris: self.redirect_uris.clone(),
            token_endpoint_auth_method: self.token_endpoint_auth_method.clone(),
            grant_types: self.grant_types.clone(),
            response_types: self.response_types.clone(),
            client_name: self.client_name.clone(),
            client_uri: self.client_uri.clone(),
            scope: self.scope.clone(),
            contacts: self.contacts.clone(),
            software_id: self.software_id.clone(),
            software_version: self.software_version.clone(),
            jwks_uri: self.jwks_uri.clone(),
            jwks: self.jwks.clone(),
        }
    }

    fn registered(m: RegisteredMetadata) -> Self {
        Self {
            redirect_uris: Some(m.redirect_uris),
            token_endpoint_auth_method: Some(m.token_endpoint_auth_method),
            grant_types: Some(m.grant_types),
            response_types: Some(m.response_types),
            client_name: Some(m.client_name),
            client_uri: m.client_uri,
            scope: Some(m.scope),
            contacts: (!m.contacts.is_empty()).then_some(m.contacts),
            software_id: m.software_id,
            software_version: m.software_version,
            jwks_uri: m.jwks_uri,
            jwks: m.jwks,
        }
    }
}

/// An update (RFC 7592 §2.2): the whole metadata again, with `client_id`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClientUpdateBody {
    /// Must be the client's own.
    #[schema(nullable = false)]
    pub client_id: Option<String>,
    /// May be left out; if sent it must be the current secret.
    #[schema(value_type = Option<String>, nullable = false)]
    pub client_secret: Option<Secret>,
    #[serde(flatten)]
    pub metadata: ClientMetadataBody,
}

/// RFC 7591 §3.2.1 and RFC 7592 §3. No `Debug`: it carries secrets.
#[derive(Serialize, ToSchema)]
pub struct ClientInformation {
    pub client_id: String,
    /// Confidential clients with a secret, in the registration answer only:
    /// it is stored hashed and never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub client_secret: Option<String>,
    pub client_id_issued_at: i64,
    /// 0: the secret does not expire.
    pub client_secret_expires_at: i64,
    pub registration_access_token: String,
    pub registration_client_uri: String,
    /// `pending` until an administrator approves the client (then
    /// `approved`), or `rejected`. Not an RFC 7591 member.
    #[schema(example = "pending")]
    pub status: &'static str,
    #[serde(flatten)]
    pub metadata: ClientMetadataBody,
}

/// The body as `T`, or `invalid_client_metadata` saying why not.
fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(
            Error::InvalidRequest("the request body must be application/json".into()).into(),
        );
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::PayloadTooLarge.into());
    }
    if body.contains(&0) || std::str::from_utf8(body).is_err() {
        return Err(
            Error::InvalidClientMetadata("the body is not UTF-8 JSON without NUL".into()).into(),
        );
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        let why: String = e.to_string().chars().take(200).collect();
        ApiError(Error::InvalidClientMetadata(format!(
            "the body is not JSON: {why}"
        )))
    })?;
    if let Some(member) = mistyped_member(&value) {
        return Err(Error::InvalidClientMetadata(member).into());
    }
    serde_json::from_value(value).map_err(|e| {
        let why: String = e.to_string().chars().take(200).collect();
        Error::InvalidClientMetadata(format!("the client metadata is not valid: {why}")).into()
    })
}

/// Which member of the metadata has the wrong JSON type, said as RFC 7591
/// §2 defines it (serde's own message does not name the member).
fn mistyped_member(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    let Value::Object(members) = value else {
        return Some("the client metadata must be a JSON object".into());
    };
    const LISTS: [&str; 4] = ["redirect_uris", "grant_types", "response_types", "contacts"];
    const STRINGS: [&str; 10] = [
        "token_endpoint_auth_method",
        "client_name",
        "client_uri",
        "scope",
        "software_id",
        "software_version",
        "jwks_uri",
        "client_id",
        "client_secret",
        "logo_uri",
    ];
    members.iter().find_map(|(name, v)| {
        let name = name.as_str();
        let ok = match v {
            Value::Null => true,
            Value::Array(items) if LISTS.contains(&name) => items.iter().all(Value::is_string),
            Value::String(_) if STRINGS.contains(&name) => true,
            Value::Object(_) if name == "jwks" => true,
            _ => !(LISTS.contains(&name) || STRINGS.contains(&name) || name == "jwks"),
        };
        (!ok).then(|| {
            let wanted = if LISTS.contains(&name) {
                "an array of strings"
            } else if name == "jwks" {
                "a JWK Set object"
            } else {
                "a string"
            };
            format!("{name} must be {wanted}")
        })
    })
}

fn bearer(headers: &HeaderMap) -> Option<Secret> {
    bearer_token(headers).map(Secret::new)
}

fn client_uri(state: &AppState, client_id: &str) -> String {
    format!(
        "{}{}",
        state.core.policy.issuer,
        paths::with_id(paths::REGISTRATION_CLIENT, client_id)
    )
}

/// The `{client_id}` of the path; a malformed one opens nothing.
fn path_id(
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<String, ApiError> {
    path.ok()
        .map(|Path(id)| id)
        .filter(|id| !id.contains('\0') && id.len() <= 255)
        .ok_or_else(|| {
            Error::InvalidToken("the registration access token is not valid for this client".into())
                .into()
        })
}

/// Registers a client (RFC 7591 §3).
///
/// Only when REGISTRATION is `open` or `token` (404 otherwise); with
/// `token`, `Authorization: Bearer REGISTRATION_TOKEN` is required. The
/// client is **pending**: every endpoint refuses it until an administrator
/// approves it. Limited per address (RATE_LIMIT_REGISTRATION) and by how
/// many clients may wait at once (REGISTRATION_MAX_PENDING).
#[utoipa::path(
    post,
    path = paths::REGISTRATION,
    tag = "registration",
    request_body(content = ClientMetadataBody, content_type = "application/json"),
    security((), ("initial_access_token" = [])),
    responses(
        (status = 201, description = "Registered, pending approval", body = ClientInformation,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`invalid_redirect_uri`, `invalid_client_metadata` or `invalid_request`", body = ErrorBody),
        (status = 401, description = "`invalid_token`: the initial access token is missing or wrong", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 404, description = "Registration is off", body = ErrorBody),
        (status = 500, description = "`server_error`", body = ErrorBody),
        (status = 413, description = "`invalid_request`: body over 16 KiB", body = ErrorBody),
        (status = 429, description = "`temporarily_unavailable`: too many registrations from this address, or too many clients waiting for approval", body = ErrorBody,
            headers(("Retry-After" = i64, description = "seconds to wait"))),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !registration::enabled(&state.core) {
        return Err(Error::NotFound("dynamic client registration is off".into()).into());
    }
    if let (Some(limiter), Some(ip)) = (&state.limits.registration, ip)
        && let Err(retry_after_secs) = limits::take(limiter, &network_of(ip))
    {
        state.core.metrics.rate_limited(Limit::Registration);
        return Err(Error::TooManyAttempts { retry_after_secs }.into());
    }
    let body: ClientMetadataBody = json_body(&headers, &body)?;
    let registered = registration::register(
        &state.core,
        &body.request(),
        bearer(&headers).as_ref(),
        Requester {
            ip: ip.map(|ip| ip.to_string()),
            user_agent,
        },
    )
    .await?;
    let info = ClientInformation {
        registration_client_uri: client_uri(&state, &registered.client_id),
        client_id: registered.client_id,
        client_secret: registered.client_secret.map(|s| s.expose().to_owned()),
        client_id_issued_at: registered.issued_at,
        client_secret_expires_at: 0,
        registration_access_token: registered.registration_access_token.expose().to_owned(),
        status: ClientStatus::Pending.as_str(),
        metadata: ClientMetadataBody::registered(registered.metadata),
    };
    Ok((StatusCode::CREATED, json_no_store(info)).into_response())
}

/// Reads a client's registration (RFC 7592 §2.1).
///
/// `Authorization: Bearer` with the registration access token the client
/// got when it registered; it opens this client only.
#[utoipa::path(
    get,
    path = paths::REGISTRATION_CLIENT,
    tag = "registration",
    params(("id" = String, Path, description = "The client_id")),
    security(("registration_access_token" = [])),
    responses(
        (status = 200, description = "The client as registered", body = ClientInformation,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, description = "`invalid_token`", body = ErrorBody, headers(("WWW-Authenticate" = String))),
        (status = 404, description = "Registration is off", body = ErrorBody),
        (status = 500, description = "`server_error`", body = ErrorBody),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(path)?;
    let token = bearer(&headers);
    let (client, registration) = registration::authorize(&state.core, &id, token.as_ref()).await?;
    Ok(json_no_store(information(
        &state,
        &id,
        token,
        registration.registered_at,
        client.status,
        registration.metadata,
    )))
}

fn information(
    state: &AppState,
    id: &str,
    token: Option<Secret>,
    issued_at: i64,
    status: ClientStatus,
    metadata: RegisteredMetadata,
) -> ClientInformation {
    ClientInformation {
        client_id: id.to_owned(),
        client_secret: None,
        client_id_issued_at: issued_at,
        client_secret_expires_at: 0,
        // RFC 7592 §3 wants it in every answer: the one presented (only
        // its hash is kept).
        registration_access_token: token.map(|t| t.expose().to_owned()).unwrap_or_default(),
        registration_client_uri: client_uri(state, id),
        status: status.as_str(),
        metadata: ClientMetadataBody::registered(metadata),
    }
}

/// Replaces a client's metadata (RFC 7592 §2.2).
///
/// The body is the whole metadata with the client's `client_id`. A change
/// to redirect URIs, grant types, response types, scope, authentication
/// method or keys sends an approved client back to `pending` until an
/// administrator approves it again.
#[utoipa::path(
    put,
    path = paths::REGISTRATION_CLIENT,
    tag = "registration",
    params(("id" = String, Path, description = "The client_id")),
    request_body(content = ClientUpdateBody, content_type = "application/json"),
    security(("registration_access_token" = [])),
    responses(
        (status = 200, description = "The client as now registered", body = ClientInformation,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`invalid_redirect_uri`, `invalid_client_metadata` or `invalid_request`", body = ErrorBody),
        (status = 401, description = "`invalid_token`", body = ErrorBody, headers(("WWW-Authenticate" = String))),
        (status = 404, description = "Registration is off", body = ErrorBody),
        (status = 500, description = "`server_error`", body = ErrorBody),
        (status = 413, description = "`invalid_request`: body over 16 KiB", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = path_id(path)?;
    let token = bearer(&headers);
    // The token first: a stranger learns nothing from the body's checks.
    registration::authorize(&state.core, &id, token.as_ref()).await?;
    let body: ClientUpdateBody = json_body(&headers, &body)?;
    let (registration, status) = registration::update(
        &state.core,
        &id,
        token.as_ref(),
        UpdateIdentity {
            client_id: body.client_id,
            client_secret: body.client_secret,
        },
        &body.metadata.request(),
    )
    .await?;
    Ok(json_no_store(information(
        &state,
        &id,
        token,
        registration.registered_at,
        status,
        registration.metadata,
    )))
}

/// Deletes a client (RFC 7592 §2.3) and revokes its tokens.
#[utoipa::path(
    delete,
    path = paths::REGISTRATION_CLIENT,
    tag = "registration",
    params(("id" = String, Path, description = "The client_id")),
    security(("registration_access_token" = [])),
    responses(
        (status = 204, description = "Deleted; its tokens are revoked"),
        (status = 401, description = "`invalid_token`", body = ErrorBody, headers(("WWW-Authenticate" = String))),
        (status = 404, description = "Registration is off", body = ErrorBody),
        (status = 500, description = "`server_error`", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(path)?;
    registration::delete(&state.core, &id, bearer(&headers).as_ref()).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    crate::http::error::no_store(response.headers_mut());
    Ok(response)
}
