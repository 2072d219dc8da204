//! Making the tokens of a grant: a signed access token with the row that
//! records it, and a refresh token whose secret only the client receives.

use super::{Core, Result, secs};
use crate::crypto::hash_secret;
use crate::crypto::jwt::{AccessClaims, Audience, Confirmation};
use crate::model::resource;
use crate::store::{NewAccessToken, NewRefreshToken};

/// Whose tokens are made and what they carry, common to both kinds.
pub(super) struct Issue<'a> {
    pub user_id: &'a str,
    pub client_id: &'a str,
    pub scope: &'a str,
    pub grant_id: &'a str,
    /// The thumbprint of the DPoP key they are bound to (RFC 9449 §6).
    pub dpop_jkt: Option<&'a str>,
}

/// A signed access token and the row that records it.
pub(super) struct MintedAccess {
    pub jwt: String,
    pub row: NewAccessToken,
}

/// `audience` is the RFC 8707 resources the token is for (the issuer when
/// empty), checked by the caller against what the grant approved.
pub(super) fn mint_access(
    core: &Core,
    issue: &Issue<'_>,
    device_code_id: Option<&str>,
    audience: &[String],
) -> Result<MintedAccess> {
    let now = core.clock.now_secs();
    let claims = AccessClaims {
        iss: core.policy.issuer.clone(),
        sub: issue.user_id.to_owned(),
        aud: Audience::of_access_token(&core.policy.issuer, audience),
        client_id: issue.client_id.to_owned(),
        scope: issue.scope.to_owned(),
        iat: now,
        exp: now + secs(core.policy.access_token_ttl),
        jti: core.random.ordered_id(core.clock.now_ms()),
        cnf: Confirmation::of(issue.dpop_jkt),
    };
    let jwt = core.signer.sign(&claims)?;
    Ok(MintedAccess {
        jwt,
        row: NewAccessToken {
            jti: claims.jti,
            user_id: claims.sub,
            client_id: claims.client_id,
            scope: claims.scope,
            device_code_id: device_code_id.map(str::to_owned),
            grant_id: issue.grant_id.to_owned(),
            issued_at: now,
            expires_at: claims.exp,
            audience: resource::to_stored(audience),
            dpop_jkt: issue.dpop_jkt.map(str::to_owned),
        },
    })
}

/// A new refresh token: the secret for the client, the row for the store.
pub(super) fn mint_refresh(core: &Core, issue: &Issue<'_>) -> (String, NewRefreshToken) {
    let now = core.clock.now_secs();
    let secret = core.random.token(32);
    let row = NewRefreshToken {
        id: core.random.ordered_id(core.clock.now_ms()),
        token_hash: hash_secret(&secret),
        grant_id: issue.grant_id.to_owned(),
        client_id: issue.client_id.to_owned(),
        user_id: issue.user_id.to_owned(),
        scope: issue.scope.to_owned(),
        issued_at: now,
        expires_at: now + secs(core.policy.refresh_token_ttl),
        dpop_jkt: issue.dpop_jkt.map(str::to_owned),
    };
    (secret, row)
}
