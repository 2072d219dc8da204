//! OpenID Connect on top of the OAuth grants: ID tokens (Core §2, §3.1.3,
//! §12.2) and UserInfo (Core §5.3).
//!
//! An ID token is issued with every token response whose scope holds
//! `openid` — authorization code, refresh and device grants alike — signed
//! by the key that signs access tokens, so relying parties verify it with
//! the published JWK Set.
//!
//! With `JWT_SIGNING_ALG=HS256` there is no such key: an HS256 ID token
//! could be verified only with `JWT_SECRET`, which also mints access tokens
//! and must never be handed to relying parties (Core §10.1 would key it
//! with each client's secret, which public clients do not have and which is
//! stored only hashed here). So with HS256 `openid` is refused as
//! `invalid_scope` where a grant begins, and discovery lists no ID token
//! algorithm.

use super::{Core, Error, Result, secs};
use crate::crypto::keys::SigningAlg;
use crate::model::authn::Authentication;
use crate::model::oidc::{AtHash, IdClaims, OPENID, UserClaims};
use crate::model::scope::Scopes;

/// The algorithm ID tokens are signed with, or `None` when they cannot be
/// (HS256; see the module doc).
pub fn id_token_alg(core: &Core) -> Option<SigningAlg> {
    Some(core.signer.ring().signing_alg()).filter(|alg| alg.is_asymmetric())
}

/// Refuses `openid` where ID tokens cannot be signed (see the module doc).
pub fn check_available(core: &Core, scopes: &Scopes) -> Result<()> {
    if scopes.contains(OPENID) && id_token_alg(core).is_none() {
        return Err(Error::InvalidScope(
            "openid is not available: this server signs tokens with HS256 \
             (set JWT_SIGNING_ALG to ES256, EdDSA or RS256)"
                .into(),
        ));
    }
    Ok(())
}

/// What an ID token is about and for.
#[derive(Debug, Clone)]
pub struct IdTokenFor<'a> {
    pub user_id: &'a str,
    pub client_id: &'a str,
    /// The scope of the access token it accompanies.
    pub scope: &'a str,
    pub authn: &'a Authentication,
    /// The authorization request's `nonce` (never on a refresh, §12.2).
    pub nonce: Option<&'a str>,
    pub access_token: &'a str,
}

/// The ID token for a token response, or `None` when its scope lacks
/// `openid`. Lives as long as the access token it comes with.
pub async fn id_token(core: &Core, t: IdTokenFor<'_>) -> Result<Option<String>> {
    let scopes = Scopes::parse(t.scope).map_err(Error::Internal)?;
    if !scopes.contains(OPENID) {
        return Ok(None);
    }
    let ring = core.signer.ring();
    let at_hash = match ring.signing_alg() {
        SigningAlg::EdDsa => AtHash::Sha512,
        SigningAlg::Es256 | SigningAlg::Rs256 => AtHash::Sha256,
        // Refused where the grant began; a key change since then (an
        // operator moving to HS256) ends it here rather than in an
        // unverifiable token.
        SigningAlg::Hs256 => {
            return Err(Error::InvalidScope(
                "openid is not available with HS256-signed tokens".into(),
            ));
        }
    };
    let user = core
        .store
        .user(t.user_id, core.clock.now_ms())
        .await?
        .ok_or_else(|| Error::InvalidGrant("the user no longer exists".into()))?;
    let now = core.clock.now_secs();
    let claims = IdClaims {
        iss: core.policy.issuer.clone(),
        sub: t.user_id.to_owned(),
        aud: t.client_id.to_owned(),
        azp: t.client_id.to_owned(),
        exp: now + secs(core.policy.access_token_ttl),
        iat: now,
        auth_time: t.authn.time.0,
        nonce: t.nonce.map(str::to_owned),
        at_hash: at_hash.of(t.access_token),
        amr: t.authn.amr.values().to_vec(),
        acr: t.authn.amr.acr().as_str().to_owned(),
        user: UserClaims::of(&user, &scopes),
    };
    let signed = ring
        .sign(&claims)
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Some(signed))
}

/// The UserInfo answer (Core §5.3.2): `sub` and the claims the access
/// token's scope releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub sub: String,
    pub claims: UserClaims,
}

/// Answers UserInfo for an access token: checked as tokeninfo checks it
/// (and through the same cache); a token without `openid` is
/// [`Error::InsufficientScope`], one issued for another resource (its
/// RFC 8707 audience leaves out the issuer) [`Error::InvalidToken`].
pub async fn userinfo(core: &Core, access_token: &str, dpop_jkt: Option<&str>) -> Result<UserInfo> {
    let info = super::token::inspect(core, access_token).await?;
    super::dpop::binding_holds(info.dpop_jkt.as_deref(), dpop_jkt)?;
    // RFC 8707: a token issued for another API (its `aud` names only that
    // API) is not a token for this endpoint.
    if !info.audience.is_empty() && !info.audience.contains(&core.policy.issuer) {
        return Err(Error::InvalidToken(
            "the access token was issued for another resource, not for userinfo".into(),
        ));
    }
    let scopes = Scopes::parse(&info.scope).map_err(Error::Internal)?;
    if !scopes.contains(OPENID) {
        return Err(Error::InsufficientScope(
            "the access token was not issued with the openid scope".into(),
        ));
    }
    let Some(user_id) = info.user_id else {
        return Err(Error::InvalidToken(
            "a client's own token has no user to describe".into(),
        ));
    };
    let user = core
        .store
        .user(&user_id, core.clock.now_ms())
        .await?
        .ok_or_else(|| Error::InvalidToken("the access token's user no longer exists".into()))?;
    Ok(UserInfo {
        claims: UserClaims::of(&user, &scopes),
        sub: user_id,
    })
}
