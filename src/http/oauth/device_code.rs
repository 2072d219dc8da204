//! `POST /oauth/device/code`: the device authorization request (RFC 8628 §3.1).

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::domain::Error;
use crate::domain::device_flow::{self, StartRequest};
use crate::http::error::{ApiError, json_no_store};
use crate::http::extract::{ClientAuth, ClientIp, OAuthForm, UserAgent, client_credentials};
use crate::http::limits;
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate)]
pub struct DeviceCodeForm {
    #[validate(length(max = 255, message = "must be at most 255 characters"))]
    pub client_id: Option<String>,
    #[validate(length(max = 512, message = "must be at most 512 characters"))]
    pub client_secret: Option<String>,
    #[validate(length(max = 1024, message = "must be at most 1024 characters"))]
    pub scope: Option<String>,
}

/// RFC 8628 §3.2. `expires_in` and `interval` are always present: some
/// widely used clients fail without them.
#[derive(Debug, Serialize)]
pub struct DeviceCodeResponse {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

pub async fn request_device_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    auth: ClientAuth,
    OAuthForm(form): OAuthForm<DeviceCodeForm>,
) -> Result<Response, ApiError> {
    if let (Some(limiter), Some(ip)) = (&state.limits.device_code, ip)
        && let Err(retry_after_secs) = limits::take(limiter, &ip)
    {
        return Err(Error::TooManyAttempts { retry_after_secs }.into());
    }
    let client = client_credentials(auth, form.client_id, form.client_secret)?;
    let started = device_flow::start(
        &state.core,
        StartRequest {
            client,
            scope: form.scope,
            requester_ip: ip.map(|ip| ip.to_string()),
            user_agent,
        },
    )
    .await?;
    Ok(json_no_store(DeviceCodeResponse {
        device_code: started.device_code,
        user_code: started.user_code,
        verification_uri: started.verification_uri,
        verification_uri_complete: started.verification_uri_complete,
        expires_in: started.expires_in,
        interval: started.interval,
    }))
}
