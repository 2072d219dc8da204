//! Client authentication with a signed JWT: RFC 7523 §2.2 and §3, as
//! OpenID Connect Core §9 names it, `private_key_jwt`.
//!
//! A client registered with public keys (a JWK Set, or the URL it publishes
//! one at) proves itself by signing a short-lived assertion with its
//! private key, so no shared secret is stored here or sent over the wire.
//! The assertion is checked like any JWT that opens a door:
//!
//! - the algorithm is one of [`ALGORITHMS`] and must suit the key that
//!   verifies it (the header cannot pick a weaker check: an `HS256` header
//!   is refused before any key is tried);
//! - `iss` and `sub` are the client, `aud` names this server (its issuer
//!   or its token endpoint: RFC 7523 §3 allows either), `exp` is in the
//!   future but at most [`MAX_LIFETIME_SECS`] away, `nbf`/`iat` not in the
//!   future (each with [`LEEWAY_SECS`] of clock skew);
//! - the `jti` is recorded in the database until the assertion expires,
//!   and a second use of it is refused, whichever instance sees it first
//!   (RFC 7523 §3 item 7). The short lifetime keeps that table small.
//!
//! Keys behind a `jwks_uri` are fetched with a short deadline and no
//! redirects, kept for [`KEYS_TTL_SECS`], and fetched again at once when an
//! assertion names a key id they lack (the client may have rotated), at
//! most once per [`REFETCH_EVERY_SECS`] so that made-up key ids cannot make
//! AuthGate hammer the client's server.

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::{Core, Error, Result};
use crate::crypto::jwt::Audience;
use crate::model::client::{Client, ClientKeys};

/// RFC 7523 §2.2 `client_assertion_type`.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The signing algorithms accepted (RFC 8414
/// `token_endpoint_auth_signing_alg_values_supported`).
pub const ALGORITHMS: [&str; 3] = ["ES256", "EdDSA", "RS256"];
/// How far in the future an assertion may expire.
pub const MAX_LIFETIME_SECS: i64 = 600;
/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECS: i64 = 30;
/// How long keys fetched from a `jwks_uri` are used.
pub const KEYS_TTL_SECS: i64 = 300;
/// At most one fetch per `jwks_uri` this often for an unknown key id.
pub const REFETCH_EVERY_SECS: i64 = 30;
/// The most keys a client may register, and the largest JWK Set fetched.
pub const MAX_KEYS: usize = 20;
const MAX_JWKS_BYTES: usize = 64 * 1024;
/// The path of the token endpoint under the issuer (see `http/paths.rs`).
const TOKEN_PATH: &str = "/oauth/token";

/// Keys fetched from clients' `jwks_uri`s, with the HTTP client that
/// fetches them.
pub struct KeyCache {
    http: reqwest::Client,
    /// By URI: when fetched (Unix seconds) and the set.
    sets: DashMap<String, (i64, Arc<JwkSet>)>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("cached", &self.sets.len())
            .finish_non_exhaustive()
    }
}

impl KeyCache {
    pub fn new() -> std::result::Result<Self, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("AuthGate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("client keys HTTP client: {e}"))?;
        Ok(Self {
            http,
            sets: DashMap::new(),
        })
    }

    /// The set at `uri`: from memory when fresh, unless `refetch` asks
    /// for a new copy (and the last fetch is old enough).
    async fn fetch(&self, uri: &str, now: i64, refetch: bool) -> Option<Arc<JwkSet>> {
        if let Some(entry) = self.sets.get(uri) {
            let (at, ref set) = *entry;
            let fresh = now - at < KEYS_TTL_SECS;
            let recent = now - at < REFETCH_EVERY_SECS;
            if (fresh && !refetch) || recent {
                return Some(set.clone());
            }
        }
        match self.download(uri).await {
            Ok(set) => {
                let set = Arc::new(set);
                self.sets.insert(uri.to_owned(), (now, set.clone()));
                Some(set)
            }
            Err(e) => {
                tracing::warn!(jwks_uri = uri, error = %e, "client keys could not be fetched");
                // A stale copy beats none while the client's server is down.
                self.sets.get(uri).map(|entry| entry.1.clone())
            }
        }
    }

    async fn download(&self, uri: &str) -> std::result::Result<JwkSet, String> {
        let mut response = self
            .http
            .get(uri)
            .header("accept", "application/jwk-set+json, application/json")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("status {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err("the JWK Set is too large".into());
            }
            body.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(body).map_err(|_| "not UTF-8".to_owned())?;
        parse_jwks(&text)
    }
}

/// Checks a JWK Set a client registers or publishes: JSON, 1 to
/// [`MAX_KEYS`] public signing keys of a kind [`ALGORITHMS`] can use, and
/// no private key material (a pasted private key is refused rather than
/// stored).
pub fn parse_jwks(json: &str) -> std::result::Result<JwkSet, String> {
    let raw: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let listed = raw
        .get("keys")
        .and_then(|k| k.as_array())
        .ok_or("a JWK Set is an object with a \"keys\" array")?;
    if listed.is_empty() || listed.len() > MAX_KEYS {
        return Err(format!("a JWK Set here has 1 to {MAX_KEYS} keys"));
    }
    const PRIVATE: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];
    if listed
        .iter()
        .any(|key| PRIVATE.iter().any(|member| key.get(member).is_some()))
    {
        return Err(
            "the JWK Set holds private or symmetric key material: register public keys only".into(),
        );
    }
    let set: JwkSet = serde_json::from_value(raw.clone())
        .map_err(|e| format!("a key is not a JWK AuthGate can use: {e}"))?;
    for key in &set.keys {
        if matches!(key.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
            return Err("every key must be for signatures (\"use\": \"sig\")".into());
        }
        if suited(key).is_empty() {
            return Err(
                "keys must be EC P-256, OKP Ed25519 or RSA (for ES256, EdDSA or RS256)".into(),
            );
        }
    }
    Ok(set)
}

/// The algorithms of [`ALGORITHMS`] a key can verify.
fn suited(key: &Jwk) -> Vec<Algorithm> {
    let by_kind = match &key.algorithm {
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            vec![Algorithm::ES256]
        }
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            vec![Algorithm::EdDSA]
        }
        AlgorithmParameters::RSA(_) => vec![Algorithm::RS256],
        _ => vec![],
    };
    // A key that names its algorithm is used for that one only.
    match key
        .common
        .key_algorithm
        .and_then(|a| Algorithm::try_from(a).ok())
    {
        Some(named) => by_kind.into_iter().filter(|a| *a == named).collect(),
        None => by_kind,
    }
}

/// The claims RFC 7523 §3 requires (and `nbf`/`iat` when present).
#[derive(Debug, Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: i64,
    jti: String,
    nbf: Option<i64>,
    iat: Option<i64>,
}

/// The client an assertion claims to come from (its `sub`), unverified:
/// RFC 7523 §3 lets a request carry no `client_id` beside it.
pub fn claimed_client(assertion: &str) -> Option<String> {
    use base64::Engine as _;
    let payload = assertion.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims
        .get("sub")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Checks `assertion` as `client`'s proof of identity (see the module
/// doc). `invalid` makes the `invalid_client` error with a reason.
pub async fn verify(
    core: &Core,
    client: &Client,
    keys: &ClientKeys,
    assertion: &str,
    invalid: impl Fn(&str) -> Error,
) -> Result<()> {
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| invalid("the client assertion is not a signed JWT"))?;
    let alg = header.alg;
    if ![Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256].contains(&alg) {
        return Err(invalid(
            "the client assertion must be signed with ES256, EdDSA or RS256",
        ));
    }
    let now = core.clock.now_secs();
    let payload = match signed_payload(core, keys, assertion, &header, now, false).await? {
        Some(payload) => payload,
        // An unknown key id behind a URI: perhaps a rotation.
        None if header.kid.is_some() && matches!(keys, ClientKeys::JwksUri(_)) => {
            signed_payload(core, keys, assertion, &header, now, true)
                .await?
                .ok_or_else(|| invalid("the client assertion's signature does not verify"))?
        }
        None => return Err(invalid("the client assertion's signature does not verify")),
    };
    let claims: AssertionClaims = serde_json::from_value(payload).map_err(|_| {
        invalid("the client assertion must carry iss, sub, aud, exp and jti (RFC 7523 §3)")
    })?;
    let id = client.id.as_str();
    if claims.iss != id || claims.sub != id {
        return Err(invalid(
            "the client assertion's iss and sub must be the client_id",
        ));
    }
    let issuer = core.policy.issuer.trim_end_matches('/');
    let token_endpoint = format!("{issuer}{TOKEN_PATH}");
    let names_us = |aud: &str| aud == issuer || aud == core.policy.issuer || aud == token_endpoint;
    let audience_ok = match &claims.aud {
        Audience::One(aud) => names_us(aud),
        Audience::Many(list) => list.iter().any(|aud| names_us(aud)),
    };
    if !audience_ok {
        return Err(invalid(
            "the client assertion's aud must be the issuer or the token endpoint",
        ));
    }
    if now >= claims.exp + LEEWAY_SECS {
        return Err(invalid("the client assertion has expired"));
    }
    if claims.exp - now > MAX_LIFETIME_SECS {
        return Err(invalid(
            "the client assertion must expire within 10 minutes",
        ));
    }
    let future = |t: Option<i64>| t.is_some_and(|t| t > now + LEEWAY_SECS);
    if future(claims.nbf) || future(claims.iat) {
        return Err(invalid("the client assertion is not valid yet"));
    }
    if claims.jti.is_empty() || claims.jti.len() > 256 || claims.jti.contains('\0') {
        return Err(invalid(
            "the client assertion needs a jti of at most 256 characters",
        ));
    }
    if !core
        .store
        .accept_client_assertion(id, &claims.jti, claims.exp + LEEWAY_SECS)
        .await?
    {
        return Err(invalid("this client assertion was used before"));
    }
    Ok(())
}

/// The payload of `assertion` if a key of `keys` verifies its signature.
async fn signed_payload(
    core: &Core,
    keys: &ClientKeys,
    assertion: &str,
    header: &jsonwebtoken::Header,
    now: i64,
    refetch: bool,
) -> Result<Option<serde_json::Value>> {
    let set = match keys {
        ClientKeys::Jwks(json) => match parse_jwks(json) {
            Ok(set) => Arc::new(set),
            Err(e) => return Err(Error::Internal(format!("stored client keys: {e}"))),
        },
        ClientKeys::JwksUri(uri) => match core.client_keys.fetch(uri, now, refetch).await {
            Some(set) => set,
            None => return Ok(None),
        },
    };
    let candidates: Vec<&Jwk> = match &header.kid {
        Some(kid) => set.find(kid).into_iter().collect(),
        None => set.keys.iter().collect(),
    };
    let mut validation = Validation::new(header.alg);
    // Checked above against the injected clock and this server's names.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    for key in candidates {
        if !suited(key).contains(&header.alg) {
            continue;
        }
        let Ok(decoding) = DecodingKey::from_jwk(key) else {
            continue;
        };
        if let Ok(data) =
            jsonwebtoken::decode::<serde_json::Value>(assertion, &decoding, &validation)
        {
            return Ok(Some(data.claims));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_key_sets_hold_public_signing_keys_only() {
        let ec = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
        assert!(parse_jwks(ec).is_ok());
        let private = ec.replace(
            r#""y":"#,
            r#""d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI","y":"#,
        );
        assert!(parse_jwks(&private).unwrap_err().contains("private"));
        let symmetric = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#;
        assert!(parse_jwks(symmetric).is_err());
        let encryption = ec.replace(r#""kty":"EC""#, r#""kty":"EC","use":"enc""#);
        assert!(parse_jwks(&encryption).is_err());
        let p384 = r#"{"keys":[{"kty":"EC","crv":"P-384","x":"AAAA","y":"AAAA"}]}"#;
        assert!(parse_jwks(p384).is_err());
        assert!(parse_jwks(r#"{"keys":[]}"#).is_err());
        assert!(parse_jwks("[]").is_err());
        assert!(parse_jwks("not json").is_err());
    }

    #[test]
    fn the_token_endpoint_path_is_the_router_s() {
        assert_eq!(TOKEN_PATH, crate::http::paths::TOKEN);
    }

    #[test]
    fn the_claimed_client_is_the_unverified_sub() {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"svc","iss":"svc"}"#);
        assert_eq!(
            claimed_client(&format!("e30.{payload}.sig")).as_deref(),
            Some("svc")
        );
        assert_eq!(claimed_client("garbage"), None);
    }
}
