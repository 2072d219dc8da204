//! Access tokens as JWTs.
//!
//! Keys are built once at start-up and held in application state; signing a
//! token never re-parses a key. Expiry is checked against the injected clock,
//! not the library's wall clock, so tests can move time.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The claims of every access token AuthGate issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("token signing failed: {0}")]
    Sign(String),
    #[error("token is malformed or its signature does not verify")]
    Invalid,
}

/// Signs and verifies access tokens with one HMAC-SHA256 key.
#[derive(Clone)]
pub struct TokenSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    header: Header,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner(HS256, key redacted)")
    }
}

impl TokenSigner {
    /// An HS256 signer. `issuer` and `audience` are enforced on verification.
    pub fn hs256(secret: &[u8], issuer: &str, audience: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        // Expiry is checked by the caller against the injected clock.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            header: Header::new(Algorithm::HS256),
        }
    }

    pub fn sign(&self, claims: &AccessClaims) -> Result<String, JwtError> {
        jsonwebtoken::encode(&self.header, claims, &self.encoding)
            .map_err(|e| JwtError::Sign(e.to_string()))
    }

    /// Verifies signature, algorithm, issuer and audience; not expiry.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, JwtError> {
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| JwtError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> AccessClaims {
        AccessClaims {
            iss: "http://issuer".into(),
            sub: "user-1".into(),
            aud: "http://issuer".into(),
            client_id: "cli".into(),
            scope: "read".into(),
            iat: 1,
            exp: 2,
            jti: "j".into(),
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
