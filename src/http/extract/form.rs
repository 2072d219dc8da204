//! `application/x-www-form-urlencoded` bodies of OAuth endpoints.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::domain::Error;
use crate::http::error::ApiError;

/// A validated OAuth form body. Rejects a wrong content type, a body that
/// is not valid form encoding or UTF-8, a NUL character anywhere, a
/// repeated parameter (RFC 6749 §3.1) other than [`RESOURCE`], and input
/// failing `T`'s validation — all as `invalid_request`.
/// Unknown parameters are ignored, as RFC 6749 §3.1 requires.
#[derive(Debug)]
pub struct OAuthForm<T>(pub T);

/// RFC 8707 §2: `resource` is the one parameter a request may repeat (one
/// per resource). Its values are taken out of the body before `T` is
/// deserialised and handed to [`OAuthParams::set_resources`].
pub const RESOURCE: &str = "resource";

/// A form an [`OAuthForm`] can parse.
pub trait OAuthParams: DeserializeOwned + Validate {
    /// Receives every `resource` value, in order; forms of endpoints that
    /// take none ignore them.
    fn set_resources(&mut self, _resources: Vec<String>) {}
}

impl<S, T> FromRequest<S> for OAuthForm<T>
where
    S: Send + Sync,
    T: OAuthParams,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(invalid(
                "the request body must be application/x-www-form-urlencoded",
            ));
        }
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError(Error::PayloadTooLarge)
            } else {
                invalid(&format!(
                    "the request body could not be read: {}",
                    rejection.body_text()
                ))
            }
        })?;
        parse(&body).map(OAuthForm)
    }
}

fn invalid(msg: &str) -> ApiError {
    ApiError(Error::InvalidRequest(msg.to_owned()))
}

/// Parses and validates a form body; public for the fuzz tests.
pub fn parse<T: OAuthParams>(body: &[u8]) -> Result<T, ApiError> {
    if std::str::from_utf8(body).is_err() {
        return Err(invalid("the request body is not valid UTF-8"));
    }
    let mut seen: Vec<std::borrow::Cow<'_, str>> = Vec::new();
    let mut resources: Vec<String> = Vec::new();
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(body) {
        // PostgreSQL text cannot hold NUL: it would fail the query (a 500)
        // instead of the lookup simply finding nothing.
        if name.contains('\0') || value.contains('\0') {
            return Err(invalid(&format!(
                "parameter {} must not contain NUL characters",
                name.replace('\0', "")
            )));
        }
        if name == RESOURCE {
            resources.push(value.into_owned());
            continue;
        }
        if seen.contains(&name) {
            return Err(invalid(&format!("parameter {name} must not be repeated")));
        }
        rest.append_pair(&name, &value);
        seen.push(name);
    }
    let mut value: T = serde_urlencoded::from_str(&rest.finish())
        .map_err(|e| invalid(&format!("malformed parameters: {e}")))?;
    value.validate().map_err(|e| invalid(&describe(&e)))?;
    value.set_resources(resources);
    Ok(value)
}

/// One line naming each invalid field and why.
fn describe(errors: &validator::ValidationErrors) -> String {
    let mut parts: Vec<String> = errors
        .field_errors()
        .iter()
        .map(|(field, errs)| {
            let why = errs
                .iter()
                .filter_map(|e| e.message.as_ref().map(|m| m.to_string()))
                .next()
                .unwrap_or_else(|| "is invalid".to_owned());
            format!("{field} {why}")
        })
        .collect();
    parts.sort();
    parts.join("; ")
}
