//! The `DPoP` request header (RFC 9449 §4.1): at most one proof.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::domain::Error;
use crate::domain::dpop::Place;
use crate::http::error::ApiError;

/// The header's name.
pub const DPOP: &str = "dpop";

/// The proof a request carries, unchecked; `None` without one. Two
/// `DPoP` headers, or one that is not visible ASCII, are
/// `invalid_dpop_proof` (RFC 9449 §4.3 check 1).
pub fn dpop_proof(headers: &HeaderMap, place: Place) -> Result<Option<String>, Error> {
    let invalid = |why: &str| match place {
        Place::TokenEndpoint => Error::InvalidDpopProof(why.to_owned()),
        Place::Resource => Error::DpopProofAtResource(why.to_owned()),
    };
    let mut values = headers.get_all(DPOP).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid("send one DPoP header, not several"));
    }
    let proof = value
        .to_str()
        .map_err(|_| invalid("the DPoP header is not a JWT"))?
        .trim();
    if proof.is_empty() {
        return Err(invalid("the DPoP header is empty"));
    }
    Ok(Some(proof.to_owned()))
}

/// An access token sent in `Authorization`, by scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// RFC 6750 §2.1.
    Bearer(String),
    /// RFC 9449 §7.1: with a proof in the `DPoP` header.
    Dpop(String),
}

/// The access token in `Authorization: Bearer` or `Authorization: DPoP`.
pub fn presented_token(headers: &HeaderMap) -> Option<Presented> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim().to_owned();
    if token.is_empty() {
        return None;
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(Presented::Bearer(token))
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Some(Presented::Dpop(token))
    } else {
        None
    }
}

/// The token of `presented` and the DPoP key its request proves, checked
/// for a request of `method` to `path` (a resource).
pub async fn proven_token(
    core: &crate::domain::Core,
    headers: &HeaderMap,
    presented: Presented,
    method: &str,
    path: &str,
) -> Result<(String, Option<String>), Error> {
    match presented {
        Presented::Bearer(token) => Ok((token, None)),
        Presented::Dpop(token) => {
            let proof = dpop_proof(headers, Place::Resource)?;
            let jkt =
                crate::domain::dpop::at_resource(core, &token, proof.as_deref(), method, path)
                    .await?;
            Ok((token, Some(jkt)))
        }
    }
}

/// The token endpoint's `DPoP` header (see [`dpop_proof`]).
#[derive(Debug)]
pub struct DpopProof(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for DpopProof {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(DpopProof(dpop_proof(&parts.headers, Place::TokenEndpoint)?))
    }
}
