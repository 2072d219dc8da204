//! Access tokens as JWTs, signed by the current [`KeyRing`].
//!
//! The ring is built once per key (re)load and swapped atomically, so
//! signing never re-parses a key and a rotation by another instance can be
//! picked up without a restart. Expiry is checked against the injected
//! clock by the caller, not the library's wall clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};

use super::keys::{ACCESS_TOKEN_TYP, KeyRing};

/// The claims of every access token AuthGate issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    /// The issuer, or the RFC 8707 resources the token was asked for.
    pub aud: Audience,
    pub client_id: String,
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// RFC 9449 §6.1: the DPoP key the token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// The `cnf` claim of a DPoP-bound token (RFC 7800 §3.1, RFC 9449 §6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The RFC 7638 SHA-256 thumbprint of the key.
    pub jkt: String,
}

impl Confirmation {
    pub fn of(jkt: Option<&str>) -> Option<Self> {
        jkt.map(|jkt| Self {
            jkt: jkt.to_owned(),
        })
    }
}

/// What an `id_token_hint` tells: who (`sub`) signed in to which client
/// (`aud`: one client id, or a list of them).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IdTokenHint {
    pub sub: String,
    pub aud: Audience,
}

/// The `aud` claim (RFC 7519 §4.1.3): a string or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// An access token's audience: the RFC 8707 resources it was asked
    /// for (one as a string, several as an array), or the issuer when none.
    pub fn of_access_token(issuer: &str, resources: &[String]) -> Self {
        match resources {
            [] => Self::One(issuer.to_owned()),
            [one] => Self::One(one.clone()),
            many => Self::Many(many.to_vec()),
        }
    }

    /// Every audience it names.
    pub fn values(&self) -> Vec<&str> {
        match self {
            Self::One(aud) => vec![aud.as_str()],
            Self::Many(list) => list.iter().map(String::as_str).collect(),
        }
    }

    /// The client the token was issued to: the only audience, or `azp`-less
    /// lists of one (a list of several names no single client).
    pub fn single(&self) -> Option<&str> {
        match self {
            Self::One(aud) => Some(aud),
            Self::Many(list) if list.len() == 1 => list.first().map(String::as_str),
            Self::Many(_) => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("token signing failed: {0}")]
    Sign(String),
    #[error("token is malformed or its signature does not verify")]
    Invalid,
}

/// Signs and verifies access tokens with the keys in force.
pub struct TokenSigner {
    ring: ArcSwap<KeyRing>,
    /// When the ring was last reloaded because of an unknown key id (ms).
    last_reload_ms: AtomicI64,
}

/// Unknown key ids trigger at most one reload per this many milliseconds,
/// so forged tokens with random `kid`s cannot hammer the database.
pub const RELOAD_EVERY_MS: i64 = 10_000;

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenSigner({})", self.ring.load().signing_kid())
    }
}

impl TokenSigner {
    pub fn new(ring: KeyRing) -> Self {
        Self {
            ring: ArcSwap::from_pointee(ring),
            last_reload_ms: AtomicI64::new(i64::MIN),
        }
    }

    /// An HS256-only signer: for tests and tools.
    pub fn hs256(secret: &[u8], issuer: &str, audience: &str) -> Self {
        match KeyRing::new(None, &[], secret, false, issuer, audience) {
            Ok(ring) => Self::new(ring),
            // An HS256 ring parses no stored key, so it cannot fail.
            Err(e) => unreachable!("HS256 key ring: {e}"),
        }
    }

    /// An access token: `typ: at+jwt` (RFC 9068 §2.1).
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, JwtError> {
        self.ring
            .load()
            .sign_access(claims)
            .map_err(|e| JwtError::Sign(e.to_string()))
    }

    /// Verifies an access token's signature, algorithm, issuer, audience
    /// and type; not expiry. The type is `at+jwt`, or `JWT` (or none) for
    /// tokens signed before access tokens said so: those carry the API's
    /// audience, which no ID token does (its audience is a client), and
    /// expire within one access token lifetime of an upgrade. Any other
    /// type (a DPoP proof, a logout token) is refused.
    ///
    /// An `at+jwt` token may have any audience: one asked for RFC 8707
    /// resources names them, not the issuer, yet tokeninfo, introspection
    /// and revocation must still recognise it. Its type already tells it
    /// from an ID token, and the caller then finds the token's record by
    /// `jti` and compares the audience recorded at issue (see
    /// `domain/token/inspect.rs`): the record is what counts, as it is for
    /// expiry and revocation. Checking "the issuer or one of the client's
    /// resources" here instead would need a database read before the
    /// signature is known to be good, and would still not pin the token to
    /// the audience it was issued for.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, JwtError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| JwtError::Invalid)?;
        match header.typ.as_deref() {
            Some(ACCESS_TOKEN_TYP) => {
                let ring = self.ring.load();
                let (key, validation) = ring.verifier_of(token).ok_or(JwtError::Invalid)?;
                let mut validation = validation.clone();
                validation.validate_aud = false;
                jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
                    .map(|d| d.claims)
                    .map_err(|_| JwtError::Invalid)
            }
            Some("JWT") | None => self.ring.load().verify(token).ok_or(JwtError::Invalid),
            Some(_) => Err(JwtError::Invalid),
        }
    }

    /// The claims of an ID token this server signed (OpenID Connect
    /// RP-Initiated Logout §2 `id_token_hint`): signature, algorithm and
    /// issuer are checked; the audience is the client's, not the API's, and
    /// an expired one is still a good hint, so neither is checked here.
    pub fn verify_id_token_hint(&self, token: &str) -> Option<IdTokenHint> {
        let ring = self.ring.load();
        let (key, validation) = ring.verifier_of(token)?;
        let mut validation = validation.clone();
        validation.validate_aud = false;
        Some(
            jsonwebtoken::decode::<IdTokenHint>(token, key, &validation)
                .ok()?
                .claims,
        )
    }

    /// The ring in force (for the JWK Set and key-id checks).
    pub fn ring(&self) -> Arc<KeyRing> {
        self.ring.load_full()
    }

    /// Claims the right to reload now (`now_ms`): true at most once per
    /// [`RELOAD_EVERY_MS`].
    pub fn may_reload(&self, now_ms: i64) -> bool {
        let last = self.last_reload_ms.load(Ordering::Relaxed);
        now_ms.saturating_sub(last) >= RELOAD_EVERY_MS
            && self
                .last_reload_ms
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Puts a freshly loaded ring in force.
    pub fn replace(&self, ring: KeyRing) {
        self.ring.store(Arc::new(ring));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> AccessClaims {
        AccessClaims {
            iss: "http://issuer".into(),
            sub: "user-1".into(),
            aud: Audience::One("http://issuer".into()),
            client_id: "cli".into(),
            scope: "read".into(),
            iat: 1,
            exp: 2,
            jti: "j".into(),
            cnf: None,
        }
    }

    #[test]
    fn round_trip() {
        let signer = TokenSigner::hs256(
            b"0123456789abcdef0123456789abcdef",
            "http://issuer",
            "http://issuer",
        );
        let token = signer.sign(&claims()).expect("sign");
        assert_eq!(signer.verify(&token).expect("verify"), claims());
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    }

    #[test]
    fn another_type_of_jwt_is_not_an_access_token() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let signer = TokenSigner::hs256(secret, "http://issuer", "http://issuer");
        let kid = jsonwebtoken::decode_header(signer.sign(&claims()).expect("sign"))
            .expect("header")
            .kid;
        let key = jsonwebtoken::EncodingKey::from_secret(secret);
        let signed_as = |typ: Option<&str>| {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            header.kid = kid.clone();
            header.typ = typ.map(str::to_owned);
            jsonwebtoken::encode(&header, &claims(), &key).expect("sign")
        };
        assert!(signer.verify(&signed_as(Some("dpop+jwt"))).is_err());
        assert!(signer.verify(&signed_as(Some("logout+jwt"))).is_err());
        // Signed before access tokens said at+jwt: still good.
        assert!(signer.verify(&signed_as(Some("JWT"))).is_ok());
        assert!(signer.verify(&signed_as(None)).is_ok());
    }

    #[test]
    fn an_access_token_may_name_resources_but_an_older_type_only_the_issuer() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let signer = TokenSigner::hs256(secret, "http://issuer", "http://issuer");
        let for_api = AccessClaims {
            aud: Audience::Many(vec!["https://a.example".into(), "https://b.example".into()]),
            ..claims()
        };
        let token = signer.sign(&for_api).expect("sign");
        assert_eq!(signer.verify(&token).expect("verify"), for_api);

        // Without `at+jwt` nothing tells it from an ID token but the audience.
        let kid = jsonwebtoken::decode_header(&token).expect("header").kid;
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = kid;
        header.typ = Some("JWT".into());
        let key = jsonwebtoken::EncodingKey::from_secret(secret);
        let legacy = jsonwebtoken::encode(&header, &for_api, &key).expect("sign");
        assert!(signer.verify(&legacy).is_err());
    }

    #[test]
    fn other_key_or_issuer_is_rejected() {
        let a = TokenSigner::hs256(
            b"0123456789abcdef0123456789abcdef",
            "http://issuer",
            "http://issuer",
        );
        let b = TokenSigner::hs256(
            b"fedcba9876543210fedcba9876543210",
            "http://issuer",
            "http://issuer",
        );
        let c = TokenSigner::hs256(
            b"0123456789abcdef0123456789abcdef",
            "http://other",
            "http://issuer",
        );
        let token = a.sign(&claims()).expect("sign");
        assert!(b.verify(&token).is_err());
        assert!(c.verify(&token).is_err());
        assert!(a.verify("not.a.jwt").is_err());
    }
}
