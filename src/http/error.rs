//! Presenting errors: domain and storage errors become RFC 6749 §5.2 JSON
//! for OAuth endpoints. A 5xx never shows internal text; it is logged once.
//! An outage of the database (see `store/availability.rs`) is a 503 with
//! `Retry-After`: `temporarily_unavailable` (RFC 6749 §5.2 lets a server
//! use it), or a page saying so — never a 500, which would blame a bug.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Error;

/// How soon a client may try again after an outage's 503, in seconds: a
/// restarting database or a filled disk is usually back within seconds,
/// and devices poll every few seconds anyway.
pub const RETRY_AFTER_SECS: u32 = 5;

/// An error answered as OAuth JSON.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl<E: Into<Error>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

/// The body of an OAuth error (RFC 6749 §5.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The RFC 6749 §5.2 / RFC 8628 §3.5 error code.
    #[schema(value_type = String, example = "authorization_pending")]
    pub error: &'static str,
    /// What went wrong, for developers; never internal details.
    pub error_description: String,
    /// RFC 8628 §3.5 `slow_down`: the interval now in force (as GitHub sends).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub interval: Option<i64>,
}

impl ApiError {
    /// The RFC error code and HTTP status for this error.
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        match &self.0 {
            Error::InvalidRequest(_) => ("invalid_request", StatusCode::BAD_REQUEST),
            Error::InvalidClient {
                basic_auth: true, ..
            } => ("invalid_client", StatusCode::UNAUTHORIZED),
            Error::InvalidClient {
                basic_auth: false, ..
            } => ("invalid_client", StatusCode::BAD_REQUEST),
            Error::InvalidGrant(_) => ("invalid_grant", StatusCode::BAD_REQUEST),
            Error::UnauthorizedClient(_) => ("unauthorized_client", StatusCode::BAD_REQUEST),
            Error::UnsupportedGrantType(_) => ("unsupported_grant_type", StatusCode::BAD_REQUEST),
            Error::InvalidScope(_) => ("invalid_scope", StatusCode::BAD_REQUEST),
            Error::InvalidTarget(_) => ("invalid_target", StatusCode::BAD_REQUEST),
            Error::InvalidDpopProof(_) => ("invalid_dpop_proof", StatusCode::BAD_REQUEST),
            Error::DpopProofAtResource(_) => ("invalid_dpop_proof", StatusCode::UNAUTHORIZED),
            Error::UseDpopNonce(_) => ("use_dpop_nonce", StatusCode::BAD_REQUEST),
            Error::AuthorizationPending => ("authorization_pending", StatusCode::BAD_REQUEST),
            Error::SlowDown { .. } => ("slow_down", StatusCode::BAD_REQUEST),
            Error::AccessDenied => ("access_denied", StatusCode::BAD_REQUEST),
            Error::ExpiredToken => ("expired_token", StatusCode::BAD_REQUEST),
            Error::InvalidToken(_) => ("invalid_token", StatusCode::UNAUTHORIZED),
            Error::InsufficientScope(_) => ("insufficient_scope", StatusCode::FORBIDDEN),
            Error::UnknownUserCode
            | Error::ExpiredUserCode
            | Error::UserCodeAlreadyUsed
            | Error::StaleConsent => ("invalid_request", StatusCode::BAD_REQUEST),
            Error::TooManyAttempts { .. } => {
                ("temporarily_unavailable", StatusCode::TOO_MANY_REQUESTS)
            }
            Error::TooManyPendingCodes { .. } => ("slow_down", StatusCode::TOO_MANY_REQUESTS),
            Error::PayloadTooLarge => ("invalid_request", StatusCode::PAYLOAD_TOO_LARGE),
            Error::InvalidRedirectUri(_) => ("invalid_redirect_uri", StatusCode::BAD_REQUEST),
            Error::InvalidClientMetadata(_) => ("invalid_client_metadata", StatusCode::BAD_REQUEST),
            Error::RegistrationsFull => ("temporarily_unavailable", StatusCode::TOO_MANY_REQUESTS),
            Error::InvalidAuthorizationRequest(_)
            | Error::AuthorizationRefused(_)
            | Error::InvalidLogoutRequest(_) => ("invalid_request", StatusCode::BAD_REQUEST),
            Error::BadCredentials => ("invalid_grant", StatusCode::BAD_REQUEST),
            // Administrative errors; no OAuth endpoint produces them.
            Error::NotFound(_) => ("invalid_request", StatusCode::NOT_FOUND),
            Error::Refused(_) | Error::SecondFactorNeeded { .. } => {
                ("access_denied", StatusCode::FORBIDDEN)
            }
            Error::Store(e) if e.is_unavailable() => {
                ("temporarily_unavailable", StatusCode::SERVICE_UNAVAILABLE)
            }
            Error::Store(_) | Error::Internal(_) => {
                ("server_error", StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// The answer to a request that took longer than REQUEST_TIMEOUT.
    pub fn timed_out() -> Self {
        ApiError(Error::Store(crate::store::Error::Unavailable(
            crate::store::Outage::new("the request took too long", "REQUEST_TIMEOUT passed"),
        )))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (error, status) = self.code_and_status();
        let error_description = if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error = %self.0, "request failed: the database is unavailable");
            "the service is temporarily unavailable; try again in a few seconds".to_owned()
        } else if status.is_server_error() {
            tracing::error!(error = %self.0, "request failed");
            "the server could not complete the request; try again later".to_owned()
        } else {
            self.0.to_string()
        };
        let interval = match self.0 {
            Error::SlowDown { interval } => Some(interval),
            _ => None,
        };
        let mut response = (
            status,
            Json(ErrorBody {
                error,
                error_description,
                interval,
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        no_store(headers);
        match &self.0 {
            Error::InvalidClient {
                basic_auth: true, ..
            } => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"authgate\", charset=\"UTF-8\""),
                );
            }
            Error::TooManyAttempts { retry_after_secs }
            | Error::TooManyPendingCodes { retry_after_secs } => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from((*retry_after_secs).max(1)),
                );
            }
            // RFC 6750 §3: the challenge names the error and, as a
            // quoted-string, its description (our own ASCII text).
            Error::InvalidToken(why) | Error::InsufficientScope(why) => {
                let challenge = format!(
                    "Bearer realm=\"authgate\", error=\"{error}\", error_description=\"{}\"",
                    quoted(why)
                );
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Error::RegistrationsFull => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(3600));
            }
            // RFC 9449 §7.1: the DPoP scheme, with the algorithms accepted.
            Error::DpopProofAtResource(why) => {
                let challenge = format!(
                    "DPoP algs=\"{}\", error=\"{error}\", error_description=\"{}\"",
                    crate::domain::dpop::ALGORITHMS.join(" "),
                    quoted(why)
                );
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            _ if status == StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
            }
            _ => {}
        }
        response
    }
}

/// `text` fit for an RFC 7230 quoted-string: printable ASCII without `"`
/// or `\` (RFC 6750 §3 limits `error_description` to that set anyway).
fn quoted(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' ' | '!' | '#'..='[' | ']'..='~' => c,
            _ => '\'',
        })
        .collect()
}

/// RFC 6749 §5.1: responses carrying tokens or codes must not be cached.
pub fn no_store(headers: &mut axum::http::HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// A JSON success response with `Cache-Control: no-store`.
pub fn json_no_store<T: Serialize>(body: T) -> Response {
    let mut response = Json(body).into_response();
    no_store(response.headers_mut());
    response
}

/// An error answered to a person as an HTML page in the site's style.
#[derive(Debug)]
pub enum PageError {
    BadRequest(String),
    /// A forged or stale form (CSRF token mismatch).
    Forbidden(String),
    NotFound,
    /// The database cannot serve the request now (503, `Retry-After`).
    Unavailable(String),
    Internal(String),
}

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        match e {
            Error::Store(s) if s.is_unavailable() => PageError::Unavailable(s.to_string()),
            Error::Store(_) | Error::Internal(_) => PageError::Internal(e.to_string()),
            Error::NotFound(_) => PageError::NotFound,
            Error::Refused(msg) => PageError::Forbidden(msg),
            other => PageError::BadRequest(other.to_string()),
        }
    }
}

impl From<tower_sessions::session::Error> for PageError {
    /// The session store's own failures are the database's (the session
    /// table is checked at start-up); only encoding can be a bug.
    fn from(e: tower_sessions::session::Error) -> Self {
        use tower_sessions::session_store::Error as StoreError;
        match e {
            tower_sessions::session::Error::Store(StoreError::Backend(why)) => {
                PageError::Unavailable(format!("session: {why}"))
            }
            other => PageError::Internal(format!("session: {other}")),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            PageError::BadRequest(msg) => (
                StatusCode::BAD_REQUEST,
                "Something is not right",
                msg.as_str(),
            ),
            PageError::Forbidden(msg) => (StatusCode::FORBIDDEN, "Request refused", msg.as_str()),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing at this address. Check the link, or start again.",
            ),
            PageError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "page failed: the database is unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Temporarily unavailable",
                    "AuthGate cannot reach its database at the moment. Nothing you did \
                     is lost; please try again in a few seconds.",
                )
            }
            PageError::Internal(detail) => {
                tracing::error!(error = %detail, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "AuthGate could not complete this request. Please try again in a moment.",
                )
            }
        };
        let mut response = crate::http::ui::render::error_page(status, title, message);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        response
    }
}
