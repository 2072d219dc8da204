//! Inspecting access tokens (tokeninfo, introspection): the signature under
//! the configured keys, then the record, whose stored expiry and
//! revocation are what count; checked tokens are cached.

use sha2::Digest;

use crate::crypto::jwt::{AccessClaims, Audience};
use crate::domain::{Core, Error, Result};
use crate::model::authn::{Amr, Authentication};
use crate::model::time::UnixSecs;

pub use crate::model::token::TokenInfo;

/// Verifies a JWT, reloading the key ring once when it names a key this
/// instance has not seen (another instance may have rotated keys).
pub(super) async fn verify_jwt(core: &Core, token: &str) -> Result<AccessClaims> {
    match core.signer.verify(token) {
        Ok(claims) => Ok(claims),
        Err(e) => {
            if !core.signer.ring().knows_kid_of(token)
                && core.signer.may_reload(core.clock.now_ms())
            {
                let ring =
                    crate::domain::keys::load_ring(&core.store, &core.keys, core.clock.as_ref())
                        .await?;
                core.signer.replace(ring);
                return Ok(core.signer.verify(token)?);
            }
            Err(e.into())
        }
    }
}

/// Validates an access token: signature, issuer, audience, expiry by the
/// injected clock (the token's `exp` and the expiry recorded at issue, so a
/// token re-signed with a later `exp` still ends on time), and that it is
/// recorded, unrevoked, and its user and client are still enabled.
///
/// A token found active is remembered by its SHA-256 (see
/// `store/cache.rs`), so checking it again costs a map lookup instead of a
/// signature verification and a database read, until something that could
/// change the answer happens.
pub async fn inspect(core: &Core, token: &str) -> Result<TokenInfo> {
    let key: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
    core.store
        .checked_token(key, core.clock.now_ms(), || inspect_uncached(core, token))
        .await
}

async fn inspect_uncached(core: &Core, token: &str) -> Result<TokenInfo> {
    let claims = verify_jwt(core, token).await?;
    let expired = || Error::InvalidToken("the access token has expired".into());
    let now = core.clock.now_secs();
    if now >= claims.exp {
        return Err(expired());
    }
    let record = core
        .store
        .find_access_token(&claims.jti)
        .await?
        .ok_or_else(|| Error::InvalidToken("the access token is not recognised".into()))?;
    // The recorded expiry is the one issued; the token's own `exp` is only
    // as trustworthy as its signing key (whoever holds an HS256 secret can
    // re-sign the claims with a later one).
    if now >= record.expires_at {
        return Err(expired());
    }
    if record.revoked_at.is_some() {
        return Err(Error::InvalidToken(
            "the access token has been revoked".into(),
        ));
    }
    // The signature check let any audience through (see `TokenSigner::verify`):
    // the token must name exactly the audience recorded when it was issued.
    let audience = crate::model::resource::from_stored(&record.audience);
    if claims.aud != Audience::of_access_token(&core.policy.issuer, &audience) {
        return Err(Error::InvalidToken(
            "the access token's audience is not the one it was issued for".into(),
        ));
    }
    // The same for the DPoP key it is bound to (RFC 9449 §6).
    if claims.cnf.as_ref().map(|c| c.jkt.as_str()) != record.dpop_jkt.as_deref() {
        return Err(Error::InvalidToken(
            "the access token's key binding is not the one it was issued with".into(),
        ));
    }
    if record.user_disabled == Some(true) || record.client_disabled {
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
        audience,
        dpop_jkt: record.dpop_jkt,
        authn: record.auth_time.map(|time| Authentication {
            time: UnixSecs(time),
            amr: Amr::from_stored(record.amr.as_deref()),
        }),
    })
}
