//! DPoP proofs (RFC 9449 §4): the checks that need no I/O.
//!
//! A proof is a JWT the client signs with a key of its own for one HTTP
//! request; the public half travels in the proof's header. Everything a
//! proof says is checked here against the request it came with: its type
//! and algorithm, the key (public, of a kind the algorithm fits), the
//! signature, the method and URL, its age, and `ath` when it accompanies
//! an access token. What needs the database (a `jti` seen before) or a
//! secret (the server nonce) is the domain's part (`domain/dpop.rs`).
//!
//! The key is named by its RFC 7638 thumbprint (`jkt`): what tokens are
//! bound to, and what a later proof must match.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The proof signing algorithms accepted (RFC 9449 §5.1
/// `dpop_signing_alg_values_supported`): asymmetric only, never `none`
/// or an HMAC, whose "public" key would be the secret.
pub const ALGORITHMS: [&str; 3] = ["ES256", "EdDSA", "RS256"];
/// How old a proof may be (by its `iat`), in seconds.
pub const MAX_AGE_SECS: i64 = 60;
/// How far ahead of our clock a proof's `iat` may be (clock skew).
pub const MAX_AHEAD_SECS: i64 = 5;
/// The longest `jti` kept.
const MAX_JTI_LEN: usize = 256;
/// JWK members that only a private or symmetric key has.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
/// The smallest RSA modulus accepted, in bytes (2048 bits).
const MIN_RSA_BYTES: usize = 256;

/// The request a proof must describe.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method, upper case.
    pub method: &'a str,
    /// The endpoint's URL as this server names it: its issuer and path,
    /// without query or fragment.
    pub url: &'a str,
    /// Now, Unix seconds.
    pub now: i64,
    /// The access token sent with the proof, whose hash `ath` must be.
    pub access_token: Option<&'a str>,
}

/// A proof whose signature and claims checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// The key's RFC 7638 SHA-256 thumbprint, base64url.
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
    /// The server nonce it carries, if any (checked by the domain).
    pub nonce: Option<String>,
}

impl Proof {
    /// Until when its `jti` must be remembered: after that the proof is
    /// refused for its age alone.
    pub fn remember_until(&self) -> i64 {
        self.iat + MAX_AGE_SECS + MAX_AHEAD_SECS
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    jti: String,
    htm: String,
    htu: String,
    iat: i64,
    ath: Option<String>,
    nonce: Option<String>,
}

/// Checks `proof` for `request` (see the module doc). The error is a
/// sentence for `error_description`.
pub fn check(proof: &str, request: &Request<'_>) -> Result<Proof, String> {
    let header = raw_header(proof)?;
    if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err("a DPoP proof must have typ dpop+jwt".into());
    }
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some(alg) if ALGORITHMS.contains(&alg) => alg,
        _ => return Err("a DPoP proof must be signed with ES256, EdDSA or RS256".into()),
    };
    let alg: Algorithm = alg
        .parse()
        .map_err(|_| "the DPoP proof's alg is not known".to_owned())?;
    let raw_jwk = header
        .get("jwk")
        .filter(|j| j.is_object())
        .ok_or("a DPoP proof must carry its public key as jwk in its header")?;
    if PRIVATE_MEMBERS.iter().any(|m| raw_jwk.get(m).is_some()) {
        return Err("the DPoP proof's jwk holds private key material".into());
    }
    let jwk: Jwk = serde_json::from_value(raw_jwk.clone())
        .map_err(|_| "the DPoP proof's jwk is not a key AuthGate can use".to_owned())?;
    if !fits(&jwk, alg) {
        return Err("the DPoP proof's jwk does not fit its alg".into());
    }
    let key = DecodingKey::from_jwk(&jwk)
        .map_err(|_| "the DPoP proof's jwk is not a key AuthGate can use".to_owned())?;
    let mut validation = Validation::new(alg);
    // The claims are checked below against the injected clock.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(proof, &key, &validation)
        .map_err(|_| "the DPoP proof's signature does not verify".to_owned())?
        .claims;
    let claims: Claims = serde_json::from_value(claims)
        .map_err(|_| "a DPoP proof must carry jti, htm, htu and iat (RFC 9449 §4.2)".to_owned())?;
    if claims.jti.is_empty() || claims.jti.len() > MAX_JTI_LEN {
        return Err("the DPoP proof needs a jti of at most 256 characters".into());
    }
    if claims.htm != request.method {
        return Err(format!("the DPoP proof's htm must be {}", request.method));
    }
    if without_query(&claims.htu) != request.url {
        return Err(format!("the DPoP proof's htu must be {}", request.url));
    }
    if claims.iat < request.now - MAX_AGE_SECS {
        return Err("the DPoP proof is too old".into());
    }
    if claims.iat > request.now + MAX_AHEAD_SECS {
        return Err("the DPoP proof's iat is in the future".into());
    }
    if let Some(token) = request.access_token {
        match &claims.ath {
            Some(ath) if *ath == access_token_hash(token) => {}
            Some(_) => return Err("the DPoP proof's ath is not the access token's hash".into()),
            None => return Err("a DPoP proof sent with an access token must carry ath".into()),
        }
    }
    Ok(Proof {
        jkt: thumbprint(raw_jwk)?,
        jti: claims.jti,
        iat: claims.iat,
        nonce: claims.nonce,
    })
}

/// The header of a compact JWS as JSON, unverified.
fn raw_header(jwt: &str) -> Result<Value, String> {
    let malformed = || "the DPoP header is not a signed JWT".to_owned();
    let mut parts = jwt.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| malformed())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    value.is_object().then_some(value).ok_or_else(malformed)
}

/// Whether `key` is of the kind `alg` signs with.
fn fits(key: &Jwk, alg: Algorithm) -> bool {
    match (&key.algorithm, alg) {
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        (AlgorithmParameters::OctetKeyPair(okp), Algorithm::EdDSA) => {
            okp.curve == EllipticCurve::Ed25519
        }
        (AlgorithmParameters::RSA(rsa), Algorithm::RS256) => URL_SAFE_NO_PAD
            .decode(&rsa.n)
            .is_ok_and(|n| n.len() >= MIN_RSA_BYTES),
        _ => false,
    }
}

/// RFC 7638 §3: SHA-256 over the key's required members, in lexicographic
/// order, without whitespace; base64url.
pub fn thumbprint(jwk: &Value) -> Result<String, String> {
    let member = |name: &str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .map(|v| serde_json::Value::String(v.to_owned()).to_string())
            .ok_or_else(|| format!("the jwk lacks {name}"))
    };
    let canonical = match jwk.get("kty").and_then(Value::as_str) {
        Some("EC") => format!(
            r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
            member("crv")?,
            member("x")?,
            member("y")?
        ),
        Some("OKP") => format!(
            r#"{{"crv":{},"kty":"OKP","x":{}}}"#,
            member("crv")?,
            member("x")?
        ),
        Some("RSA") => format!(
            r#"{{"e":{},"kty":"RSA","n":{}}}"#,
            member("e")?,
            member("n")?
        ),
        _ => return Err("the jwk's kty is not EC, OKP or RSA".into()),
    };
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

/// RFC 9449 §4.2 `ath`: base64url of the SHA-256 of the access token.
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// RFC 9449 §4.3: `htu` is compared without its query and fragment.
fn without_query(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

/// Whether `jkt` looks like a SHA-256 thumbprint (43 base64url
/// characters), as a `dpop_jkt` parameter must.
pub fn is_thumbprint(jkt: &str) -> bool {
    jkt.len() == 43
        && jkt
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        // RFC 7638 §3.1.
        let jwk = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn htu_is_compared_without_query_and_fragment() {
        assert_eq!(without_query("https://a/x?y=1#z"), "https://a/x");
        assert_eq!(without_query("https://a/x#z"), "https://a/x");
        assert_eq!(without_query("https://a/x"), "https://a/x");
    }

    #[test]
    fn malformed_proofs_are_refused_before_any_key_is_tried() {
        let request = Request {
            method: "POST",
            url: "https://a/oauth/token",
            now: 0,
            access_token: None,
        };
        for bad in ["", "a.b", "a.b.c.d", "!!.b.c", "e30.e30.sig"] {
            assert!(check(bad, &request).is_err(), "{bad}");
        }
        let none = URL_SAFE_NO_PAD.encode(br#"{"typ":"dpop+jwt","alg":"none"}"#);
        assert!(
            check(&format!("{none}.e30."), &request)
                .unwrap_err()
                .contains("ES256")
        );
    }

    #[test]
    fn a_thumbprint_parameter_is_43_base64url_characters() {
        assert!(is_thumbprint("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
        assert!(!is_thumbprint("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9X"));
        assert!(!is_thumbprint(
            "NzbLsXh8uDCcd+6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        ));
    }
}
