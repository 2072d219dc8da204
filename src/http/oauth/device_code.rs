//! `POST /oauth/device/code`: the device authorization request (RFC 8628 §3.1).

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::Error;
use crate::domain::device_flow::{self, StartRequest};
use crate::domain::throttle::network_of;
use crate::http::error::{ApiError, ErrorBody, json_no_store};
use crate::http::extract::{
    BodyCredentials, ClientAuth, ClientIp, OAuthForm, UserAgent, client_credentials,
};
use crate::http::limits;
use crate::http::openapi::FORM;
use crate::http::paths;
use crate::metrics::Limit;
use crate::model::Secret;
use crate::state::AppState;

/// RFC 8628 §3.1 device authorization request.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct DeviceCodeForm {
    /// The client; required unless sent with HTTP Basic.
    #[validate(length(max = 255, message = "must be at most 255 characters"))]
    #[schema(max_length = 255, nullable = false)]
    pub client_id: Option<String>,
    /// Confidential clients only (`client_secret_post`); or use HTTP Basic.
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
    /// Space-delimited scopes (RFC 6749 §3.3); all the client may have
    /// when absent.
    #[validate(length(max = 1024, message = "must be at most 1024 characters"))]
    #[schema(max_length = 1024, example = "read", nullable = false)]
    pub scope: Option<String>,
    /// RFC 7636 (optional here): an S256 challenge; the token request must
    /// then carry its `code_verifier`.
    #[validate(length(max = 128, message = "must be at most 128 characters"))]
    #[schema(min_length = 43, max_length = 43, nullable = false)]
    pub code_challenge: Option<String>,
    /// `S256`; `plain` is refused.
    #[validate(length(max = 16, message = "must be at most 16 characters"))]
    #[schema(pattern = "^S256$", example = "S256", nullable = false)]
    pub code_challenge_method: Option<String>,
    /// RFC 8707: an API the tokens are to be for, one of the client's
    /// registered resources (absolute URI, no fragment); repeat it for
    /// several. The person sees them on the approval page; the token
    /// request may then name a subset. A malformed or unregistered one is
    /// `invalid_target`.
    // Filled by `OAuthParams::set_resources`: the parser takes every
    // `resource` out of the body before serde sees it (it may repeat).
    // `default`, not `skip`, so that the OpenAPI document lists it.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>, nullable = false)]
    pub resource: Vec<String>,
}

impl crate::http::extract::form::OAuthParams for DeviceCodeForm {
    fn set_resources(&mut self, resources: Vec<String>) {
        self.resource = resources;
    }
}

/// RFC 8628 §3.2. `expires_in` and `interval` are always present: some
/// widely used clients fail without them.
/// No `Debug`: it carries the device code.
#[derive(Serialize, ToSchema)]
pub struct DeviceCodeResponse {
    /// Secret the device polls the token endpoint with.
    pub device_code: String,
    /// What the user types, `XXXX-XXXX`.
    #[schema(example = "BCDF-GHJK")]
    pub user_code: String,
    #[schema(example = "http://localhost:8080/device")]
    pub verification_uri: String,
    #[schema(example = "http://localhost:8080/device?user_code=BCDF-GHJK")]
    pub verification_uri_complete: String,
    /// Seconds until the codes expire.
    pub expires_in: i64,
    /// Minimum seconds between polls.
    pub interval: i64,
}

/// Issues a device code and a user code to a client (RFC 8628 §3.1).
///
/// Public clients send `client_id` in the body; confidential clients
/// authenticate with HTTP Basic or `client_secret_post`. Requests are
/// rate-limited per client address, and a client with
/// MAX_PENDING_CODES_PER_CLIENT codes waiting is told to slow down.
#[utoipa::path(
    post,
    path = paths::DEVICE_AUTHORIZATION,
    tag = "device flow",
    request_body(content = DeviceCodeForm, content_type = FORM),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, description = "Codes issued", body = DeviceCodeResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`invalid_request`, `invalid_client` (no HTTP Basic), `invalid_scope` or `invalid_target` (RFC 8707 `resource` malformed or not registered for the client)", body = ErrorBody),
        (status = 401, description = "`invalid_client` with HTTP Basic", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 413, description = "`invalid_request`: body over 64 KiB", body = ErrorBody),
        (status = 429, description = "`temporarily_unavailable`: too many requests from this address; `slow_down`: the client has MAX_PENDING_CODES_PER_CLIENT codes waiting", body = ErrorBody,
            headers(("Retry-After" = i64, description = "seconds to wait"))),
        (status = 500, description = "`server_error`", body = ErrorBody),
    )
)]
pub async fn request_device_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    auth: ClientAuth,
    OAuthForm(form): OAuthForm<DeviceCodeForm>,
) -> Result<Response, ApiError> {
    if let (Some(limiter), Some(ip)) = (&state.limits.device_code, ip)
        && let Err(retry_after_secs) = limits::take(limiter, &network_of(ip))
    {
        state.core.metrics.rate_limited(Limit::DeviceCode);
        return Err(Error::TooManyAttempts { retry_after_secs }.into());
    }
    let client = client_credentials(
        auth,
        BodyCredentials {
            client_id: form.client_id,
            client_secret: form.client_secret,
            assertion_type: form.client_assertion_type,
            assertion: form.client_assertion,
        },
    )?;
    let started = device_flow::start(
        &state.core,
        StartRequest {
            client,
            scope: form.scope,
            requester_ip: ip.map(|ip| ip.to_string()),
            user_agent,
            code_challenge: form.code_challenge.filter(|c| !c.is_empty()),
            code_challenge_method: form.code_challenge_method.filter(|m| !m.is_empty()),
            resources: form.resource,
        },
    )
    .await?;
    Ok(json_no_store(DeviceCodeResponse {
        device_code: started.device_code.expose().to_owned(),
        user_code: started.user_code,
        verification_uri: started.verification_uri,
        verification_uri_complete: started.verification_uri_complete,
        expires_in: started.expires_in,
        interval: started.interval,
    }))
}
