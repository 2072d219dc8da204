//! Client identification (RFC 6749 §2.3): HTTP Basic or form parameters.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::domain::Error;
use crate::domain::client::ClientCredentials;
use crate::domain::client_assertion::{self, ASSERTION_TYPE};
use crate::http::error::ApiError;
use crate::model::Secret;

/// Credentials from an `Authorization: Basic` header, if one was sent.
/// Other schemes are ignored; a malformed Basic header is `invalid_client`.
#[derive(Debug, Clone, Default)]
pub struct ClientAuth(pub Option<(String, Secret)>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(ClientAuth(None));
        };
        let malformed = || {
            ApiError(Error::InvalidClient {
                description: "malformed HTTP Basic credentials".into(),
                basic_auth: true,
            })
        };
        let value = value.to_str().map_err(|_| malformed())?;
        let Some((scheme, encoded)) = value.split_once(' ') else {
            return Ok(ClientAuth(None));
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return Ok(ClientAuth(None));
        }
        let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
        let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
        let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
        // RFC 6749 §2.3.1: both parts are form-urlencoded before encoding.
        let id = form_decode(id).ok_or_else(malformed)?;
        let secret = form_decode(secret).ok_or_else(malformed)?;
        // NUL never belongs to a client id or secret, and PostgreSQL text
        // cannot hold it (the lookup would fail instead of finding nothing).
        if id.is_empty() || id.contains('\0') || secret.contains('\0') {
            return Err(malformed());
        }
        Ok(ClientAuth(Some((id, Secret::new(secret)))))
    }
}

fn form_decode(s: &str) -> Option<String> {
    let plus_as_space = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// The client authentication a form body may carry: `client_id` and
/// `client_secret` (RFC 6749 §2.3.1), or a `client_assertion` of type
/// `client_assertion_type` (RFC 7523 §2.2).
#[derive(Debug, Default)]
pub struct BodyCredentials {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub assertion_type: Option<String>,
    pub assertion: Option<Secret>,
}

/// Combines header and body credentials into one [`ClientCredentials`].
///
/// A `client_id` in the body that repeats the Basic one is tolerated; a
/// different one, or two methods at once (a secret in both places, a
/// secret and an assertion), is `invalid_request` (RFC 6749 §2.3: one
/// authentication method per request). With an assertion the `client_id`
/// may be left out: it is the assertion's `sub` (RFC 7523 §3).
pub fn client_credentials(
    auth: ClientAuth,
    body: BodyCredentials,
) -> Result<ClientCredentials, Error> {
    let one_method = || Error::InvalidRequest("use only one client authentication method".into());
    let assertion = body.assertion.filter(|a| !a.is_empty());
    let assertion_type = body.assertion_type.filter(|t| !t.is_empty());
    match (&assertion, assertion_type.as_deref()) {
        (None, None) => {}
        (None, Some(_)) => {
            return Err(Error::InvalidRequest(
                "client_assertion_type needs a client_assertion".into(),
            ));
        }
        (Some(_), Some(ASSERTION_TYPE)) => {}
        (Some(_), _) => {
            return Err(Error::InvalidClient {
                description: format!("client_assertion_type must be {ASSERTION_TYPE}"),
                basic_auth: false,
            });
        }
    }
    let body_secret = body.client_secret.filter(|s| !s.is_empty());
    match auth.0 {
        Some((client_id, secret)) => {
            if body.client_id.as_ref().is_some_and(|b| *b != client_id) {
                return Err(Error::InvalidRequest(
                    "client_id in the body differs from the Authorization header".into(),
                ));
            }
            if body_secret.is_some() || assertion.is_some() {
                return Err(one_method());
            }
            Ok(ClientCredentials {
                client_id,
                secret: Some(secret).filter(|s| !s.is_empty()),
                via_basic: true,
                assertion: None,
            })
        }
        None => {
            if body_secret.is_some() && assertion.is_some() {
                return Err(one_method());
            }
            let claimed = assertion
                .as_ref()
                .and_then(|a| client_assertion::claimed_client(a.expose()));
            let client_id = body
                .client_id
                .filter(|id| !id.is_empty())
                .or(claimed)
                .filter(|id| !id.contains('\0'))
                .ok_or_else(|| Error::InvalidRequest("client_id is required".into()))?;
            Ok(ClientCredentials {
                client_id,
                secret: body_secret,
                via_basic: false,
                assertion,
            })
        }
    }
}

/// The token of an `Authorization: Bearer` header (RFC 6750 §2.1).
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Form limits (`#[validate(length(max = …))]`) apply to secrets as to any
/// text: their length in bytes.
impl validator::ValidateLength<u64> for Secret {
    fn length(&self) -> Option<u64> {
        u64::try_from(self.len()).ok()
    }
}
