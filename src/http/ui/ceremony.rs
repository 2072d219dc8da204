//! What the passkey JSON endpoints share: the CSRF-checked JSON body
//! extractor, the ceremony state kept in the session, and JSON answers.
//!
//! `assets/passkey.js` posts JSON with the page's CSRF token in the
//! `X-CSRF-Token` header (a custom header also means a cross-site page
//! cannot send the request without a CORS preflight, which AuthGate never
//! grants). Answers are JSON: `{"redirect": ...}` or the options for the
//! browser on success, `{"error", "error_description"}` (RFC 6749 §5.2
//! codes) on refusal, whose description the script shows on the page.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::session::WebSession;
use crate::crypto::constant_time_eq;
use crate::domain::Error;
use crate::domain::passkey::Pending;
use crate::http::error::{ApiError, json_no_store};
use crate::model::passkey::Ceremony;
use crate::state::AppState;

/// The header carrying the page's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A JSON refusal the page shows: `status`, an RFC 6749 `error` code, and
/// a sentence for the person.
pub fn refusal(status: StatusCode, error: &'static str, description: &str) -> Response {
    let mut response = (
        status,
        axum::Json(serde_json::json!({
            "error": error,
            "error_description": description,
        })),
    )
        .into_response();
    crate::http::error::no_store(response.headers_mut());
    response
}

/// A domain error as JSON: refused passkeys get a sentence for people,
/// everything else the OAuth-style answer (503 for outages, 429 with
/// `Retry-After` for lock-outs).
pub fn error(e: Error) -> Response {
    match e {
        Error::BadCredentials => refusal(
            StatusCode::UNAUTHORIZED,
            "access_denied",
            "That passkey could not sign you in. Try again, or use your password.",
        ),
        Error::TooManyAttempts { retry_after_secs } => {
            let mut response = refusal(
                StatusCode::TOO_MANY_REQUESTS,
                "temporarily_unavailable",
                &format!(
                    "Too many failed sign-ins. Try again in {} seconds.",
                    retry_after_secs.max(1)
                ),
            );
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs.max(1)),
            );
            response
        }
        Error::InvalidRequest(why) => {
            refusal(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", &why)
        }
        Error::Refused(why) => refusal(StatusCode::FORBIDDEN, "access_denied", &why),
        other => ApiError(other).into_response(),
    }
}

/// The answer when no ceremony of this kind is waiting in the session
/// (never begun, already answered, or the session ended).
pub fn no_ceremony() -> Response {
    refusal(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "This passkey request has expired. Try again.",
    )
}

/// A success answer (`no-store`).
pub fn ok<T: Serialize>(body: T) -> Response {
    json_no_store(body)
}

/// Keeps `pending` in the session for `ceremony`, replacing an earlier one.
pub async fn keep<S: Serialize>(
    web: &WebSession,
    ceremony: Ceremony,
    pending: &Pending<S>,
) -> Result<(), Response> {
    web.session
        .insert(ceremony.session_key(), pending)
        .await
        .map_err(|e| ApiError(Error::Internal(format!("session: {e}"))).into_response())
}

/// Takes `ceremony`'s state out of the session: each is answered once.
pub async fn take<S: DeserializeOwned>(
    web: &WebSession,
    ceremony: Ceremony,
) -> Result<Option<Pending<S>>, Response> {
    // A state that no longer decodes (written by another version) is as
    // good as none.
    match web.session.remove_value(ceremony.session_key()).await {
        Ok(value) => Ok(value.and_then(|v| serde_json::from_value(v).ok())),
        Err(e) => Err(ApiError(Error::Internal(format!("session: {e}"))).into_response()),
    }
}

/// A JSON body from a page of this session: the `X-CSRF-Token` header
/// must match the session's token (403 otherwise), and the body must
/// parse as `T` (400 otherwise).
#[derive(Debug)]
pub struct CsrfJson<T> {
    pub web: WebSession,
    pub body: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let web = WebSession::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let presented = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if presented.is_empty() || !constant_time_eq(presented.as_bytes(), web.csrf.as_bytes()) {
            tracing::warn!("passkey request refused: CSRF token missing or wrong");
            return Err(refusal(
                StatusCode::FORBIDDEN,
                "invalid_request",
                "This page has expired. Reload it and try again.",
            ));
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| {
                refusal(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The request could not be read.",
                )
            })?;
        let body = serde_json::from_slice(&bytes).map_err(|_| {
            refusal(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The request is incomplete or malformed.",
            )
        })?;
        Ok(CsrfJson { web, body })
    }
}
