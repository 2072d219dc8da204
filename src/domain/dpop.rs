//! DPoP (RFC 9449): tokens bound to a key the client holds, so a token
//! copied off a laptop is useless without the private key beside it.
//!
//! A request proves possession with a `DPoP` header: a proof checked by
//! `model/dpop.rs` for this endpoint's method and URL, built from the
//! configured issuer (never from the `Host` header, which the client
//! picks). Here it is also refused when its `jti` was seen before, at this
//! instance or another one: the `jti` is kept in the database, per key,
//! until the proof is too old to be accepted anyway (RFC 9449 §11.1).
//!
//! # Nonces
//!
//! With `DPOP_NONCE` on, the token endpoint also wants a nonce of ours in
//! each proof (RFC 9449 §8), so a proof cannot be made ahead of time. A
//! nonce is the number of the current [`NONCE_WINDOW_SECS`] window sealed
//! with a key derived from the session secret, which every instance
//! shares: any instance accepts any instance's nonce, with no state per
//! request. The current and the previous window are accepted, so a nonce
//! handed out just before a window ends still works.

use super::{Core, Error, Result};
use crate::crypto::seal::Sealer;
use crate::model::dpop::{self, Request};

pub use crate::model::dpop::ALGORITHMS;

/// How long a nonce is handed out; it is accepted for up to twice that.
pub const NONCE_WINDOW_SECS: i64 = 300;
/// What nonces are sealed under (their binding).
const NONCE_BINDING: &str = "dpop nonce";

/// Where a proof is presented: errors differ (RFC 9449 §5 vs §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The token endpoint: `400 invalid_dpop_proof`, nonces if required.
    TokenEndpoint,
    /// A resource AuthGate serves (userinfo, tokeninfo): `401` with a
    /// `DPoP` challenge.
    Resource,
}

impl Place {
    fn invalid(self, why: impl Into<String>) -> Error {
        match self {
            Place::TokenEndpoint => Error::InvalidDpopProof(why.into()),
            Place::Resource => Error::DpopProofAtResource(why.into()),
        }
    }
}

/// Server nonces (RFC 9449 §8), when they are required.
pub struct Nonces {
    sealer: Sealer,
}

impl std::fmt::Debug for Nonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Nonces(..)")
    }
}

impl Nonces {
    /// Nonces keyed from `secret`, the secret all instances share.
    pub fn new(secret: &[u8]) -> Self {
        Self {
            sealer: Sealer::new(secret, "dpop nonce"),
        }
    }

    /// The nonce to hand out at `now` (Unix seconds).
    pub fn current(&self, now: i64) -> String {
        let window = now.div_euclid(NONCE_WINDOW_SECS);
        self.sealer.seal(NONCE_BINDING, &window.to_string())
    }

    /// Whether `nonce` was handed out in this window or the previous one.
    pub fn fresh(&self, nonce: &str, now: i64) -> bool {
        let window = now.div_euclid(NONCE_WINDOW_SECS);
        self.sealer
            .open(NONCE_BINDING, nonce)
            .and_then(|w| w.parse::<i64>().ok())
            .is_some_and(|w| w == window || w == window - 1)
    }
}

/// The nonce to send in a `DPoP-Nonce` header, when nonces are on.
pub fn nonce(core: &Core) -> Option<String> {
    core.dpop_nonces
        .as_ref()
        .map(|n| n.current(core.clock.now_secs()))
}

/// Checks the `DPoP` header of a request to `path` (see the module doc),
/// and returns the thumbprint of the key it proves, or `None` without a
/// proof. `access_token` is the token sent with it, at a resource.
pub async fn prove(
    core: &Core,
    proof: Option<&str>,
    method: &str,
    path: &str,
    access_token: Option<&str>,
    place: Place,
) -> Result<Option<String>> {
    let Some(proof) = proof else {
        return Ok(None);
    };
    let now = core.clock.now_secs();
    let url = format!("{}{path}", core.policy.issuer.trim_end_matches('/'));
    let checked = dpop::check(
        proof,
        &Request {
            method,
            url: &url,
            now,
            access_token,
        },
    )
    .map_err(|why| place.invalid(why))?;
    if let (Place::TokenEndpoint, Some(nonces)) = (place, &core.dpop_nonces) {
        match checked.nonce.as_deref() {
            None => {
                return Err(Error::UseDpopNonce(
                    "this server requires a nonce in DPoP proofs".into(),
                ));
            }
            Some(nonce) if !nonces.fresh(nonce, now) => {
                return Err(Error::UseDpopNonce(
                    "the DPoP proof's nonce is stale or not this server's".into(),
                ));
            }
            Some(_) => {}
        }
    }
    if !core
        .store
        .accept_dpop_proof(&checked.jkt, &checked.jti, checked.remember_until())
        .await?
    {
        return Err(place.invalid("this DPoP proof was used before"));
    }
    Ok(Some(checked.jkt))
}

/// At a resource, a token sent as `Authorization: DPoP`: the key its
/// proof (which must carry the token's hash, `ath`) proves.
pub async fn at_resource(
    core: &Core,
    token: &str,
    proof: Option<&str>,
    method: &str,
    path: &str,
) -> Result<String> {
    let missing =
        || Error::DpopProofAtResource("a token sent as DPoP needs a DPoP proof header".into());
    let proof = proof.ok_or_else(missing)?;
    prove(
        core,
        Some(proof),
        method,
        path,
        Some(token),
        Place::Resource,
    )
    .await?
    .ok_or_else(missing)
}

/// Whether a token bound to `bound` (if any) may be used by a request that
/// proved `proven` (if any), RFC 9449 §7.1: a bound token needs a proof of
/// its own key, and the DPoP scheme a bound token.
pub fn binding_holds(bound: Option<&str>, proven: Option<&str>) -> Result<()> {
    match (bound, proven) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(Error::InvalidToken(
            "the access token is bound to a DPoP key: send it as Authorization: DPoP with a proof"
                .into(),
        )),
        (None, Some(_)) => Err(Error::InvalidToken(
            "the access token is not DPoP-bound: send it as Authorization: Bearer".into(),
        )),
        (Some(bound), Some(proven)) if bound == proven => Ok(()),
        (Some(_), Some(_)) => Err(Error::DpopProofAtResource(
            "the DPoP proof's key is not the one the access token is bound to".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_last_this_window_and_the_next_and_only_from_our_key() {
        let nonces = Nonces::new(b"shared secret");
        let at = 1_000 * NONCE_WINDOW_SECS + 7;
        let nonce = nonces.current(at);
        assert!(nonces.fresh(&nonce, at));
        assert!(nonces.fresh(&nonce, at + NONCE_WINDOW_SECS));
        assert!(!nonces.fresh(&nonce, at + 2 * NONCE_WINDOW_SECS));
        assert!(!nonces.fresh(&nonce, at - NONCE_WINDOW_SECS));
        assert!(!Nonces::new(b"another secret").fresh(&nonce, at));
        assert!(!nonces.fresh("garbage", at));
    }
}
