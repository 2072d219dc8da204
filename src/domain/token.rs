//! Access tokens: issuing them at redemption and inspecting them later.

use super::device_flow::DeviceCode;
use super::{Core, Error, Result, secs};
use crate::crypto::jwt::AccessClaims;
use crate::store::NewAccessToken;

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
    pub scope: String,
}

/// Exchanges an approved device code for an access token, once.
///
/// The state change and the token row commit in one transaction whose
/// `UPDATE` requires the code to still be approved: of any number of
/// concurrent redemptions exactly one succeeds; the others get
/// `invalid_grant`.
pub async fn redeem_device_code(
    core: &Core,
    code: &DeviceCode,
    user_id: &str,
) -> Result<IssuedToken> {
    let now = core.clock.now_secs();
    let ttl = secs(core.policy.access_token_ttl);
    let claims = AccessClaims {
        iss: core.policy.issuer.clone(),
        sub: user_id.to_owned(),
        aud: core.policy.issuer.clone(),
        client_id: code.client_id.clone(),
        scope: code.scope.clone(),
        iat: now,
        exp: now + ttl,
        jti: core.random.uuid(),
    };
    let access_token = core.signer.sign(&claims)?;
    let row = NewAccessToken {
        jti: claims.jti.clone(),
        user_id: user_id.to_owned(),
        client_id: code.client_id.clone(),
        scope: code.scope.clone(),
        device_code_id: Some(code.id.clone()),
        issued_at: now,
        expires_at: claims.exp,
    };
    if !core.store.redeem_device_code(&code.id, now, &row).await? {
        return Err(Error::InvalidGrant(
            "the device code has already been used".into(),
        ));
    }
    tracing::info!(client_id = %code.client_id, jti = %claims.jti, "access token issued");
    Ok(IssuedToken {
        access_token,
        expires_in: ttl,
        scope: code.scope.clone(),
    })
}

/// What a valid access token says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub jti: String,
    pub user_id: String,
    pub username: String,
    pub client_id: String,
    pub scope: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// Validates an access token: signature, issuer, audience, expiry by the
/// injected clock, and that it is recorded, unrevoked, and its user and
/// client are still enabled.
pub async fn inspect(core: &Core, token: &str) -> Result<TokenInfo> {
    let claims = core.signer.verify(token)?;
    if core.clock.now_secs() >= claims.exp {
        return Err(Error::InvalidToken("the access token has expired".into()));
    }
    let record = core
        .store
        .find_access_token(&claims.jti)
        .await?
        .ok_or_else(|| Error::InvalidToken("the access token is not recognised".into()))?;
    if record.revoked_at.is_some() {
        return Err(Error::InvalidToken(
            "the access token has been revoked".into(),
        ));
    }
    if record.user_disabled || record.client_disabled {
        return Err(Error::InvalidToken(
            "the access token's user or client is disabled".into(),
        ));
    }
    Ok(TokenInfo {
        jti: record.jti,
        user_id: record.user_id,
        username: record.username,
        client_id: record.client_id,
        scope: record.scope,
        issued_at: record.issued_at,
        expires_at: record.expires_at,
    })
}
