//! `GET /oauth/tokeninfo`: lets a resource server check an access token.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use crate::crypto::jwt::Confirmation;
use crate::domain::{Error, token};
use crate::http::error::{ApiError, ErrorBody, json_no_store};
use crate::http::extract::{Presented, presented_token, proven_token};
use crate::http::paths;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfoResponse {
    /// Always `true`: an unusable token is a 401.
    pub active: bool,
    /// The person, or the client for a machine token.
    pub sub: String,
    /// The person (absent for a machine token).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub username: Option<String>,
    pub client_id: String,
    pub scope: String,
    #[schema(value_type = String, example = "Bearer")]
    pub token_type: &'static str,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
    /// Seconds left.
    pub expires_in: i64,
    pub jti: String,
    pub iss: String,
    /// How the approval behind the token was authenticated (RFC 8176),
    /// e.g. `["hwk","mfa"]` for a passkey.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub amr: Option<Vec<String>>,
    /// The class those methods reach (see `acr_values_supported`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub acr: Option<&'static str>,
    /// RFC 9449 §6.2: `{"jkt": ...}` for a DPoP-bound token.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, nullable = false)]
    pub cnf: Option<Confirmation>,
}

/// Checks an access token for a resource server.
///
/// The token comes from `Authorization: Bearer` or the `access_token`
/// query parameter (RFC 6750 §2.1, §2.3); sending both is `invalid_request`.
#[utoipa::path(
    get,
    path = paths::TOKEN_INFO,
    tag = "resource servers",
    params(("access_token" = Option<String>, Query, description = "The token, when not sent as a bearer token")),
    security(("access_token" = []), ()),
    responses(
        (status = 200, description = "The token is valid", body = TokenInfoResponse),
        (status = 400, description = "`invalid_request`: no token, or a token in both places", body = ErrorBody),
        (status = 401, description = "`invalid_token`: unknown, expired, revoked or badly signed", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 500, description = "`server_error`", body = ErrorBody),
    )
)]
pub async fn tokeninfo(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let from_query = query.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(name, _)| name == "access_token")
            .map(|(_, value)| value.into_owned())
            .filter(|t| !t.is_empty())
    });
    let from_header = presented_token(&headers);
    let token = match (from_header, from_query.map(Presented::Bearer)) {
        (Some(_), Some(_)) => {
            return Err(
                Error::InvalidRequest("send the access token in one place only".into()).into(),
            );
        }
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => {
            return Err(Error::InvalidRequest(
                "an access token is required (Authorization: Bearer or access_token)".into(),
            )
            .into());
        }
    };
    let (token, dpop_jkt) =
        proven_token(&state.core, &headers, token, "GET", paths::TOKEN_INFO).await?;
    let info = token::inspect(&state.core, &token).await?;
    // A resource server may forward a bound token it received as Bearer to
    // check it (it sees `cnf` and checks the proof itself); a token sent
    // here as DPoP must be proved with its own key.
    if dpop_jkt.is_some() {
        crate::domain::dpop::binding_holds(info.dpop_jkt.as_deref(), dpop_jkt.as_deref())?;
    }
    Ok(json_no_store(TokenInfoResponse {
        active: true,
        sub: info.subject().to_owned(),
        user_id: info.user_id,
        username: info.username,
        client_id: info.client_id,
        scope: info.scope,
        token_type: if info.dpop_jkt.is_some() {
            "DPoP"
        } else {
            "Bearer"
        },
        cnf: Confirmation::of(info.dpop_jkt.as_deref()),
        iat: info.issued_at,
        exp: info.expires_at,
        expires_in: (info.expires_at - state.core.clock.now_secs()).max(0),
        jti: info.jti,
        iss: state.core.policy.issuer.clone(),
        acr: info.authn.as_ref().map(|a| a.amr.acr().as_str()),
        amr: info.authn.map(|a| a.amr.values().to_vec()),
    }))
}
