//! Token signing keys: generation, their public JWK, and the key ring that
//! signs new tokens and verifies old ones.
//!
//! Asymmetric keys (ES256 by default, EdDSA, RS256) are generated on first
//! start and kept in the database as PKCS#8/PKCS#1 DER; their public halves
//! are published as a JWK Set so resource servers can verify tokens without
//! calling back. HS256 with `JWT_SECRET` remains available for deployments
//! coming from the Go AuthGate: as the configured algorithm, or accepted
//! beside an asymmetric one while the old tokens run out. Otherwise the
//! ring has no HS256 verifier at all, so knowing `JWT_SECRET` is not enough
//! to mint a token it accepts.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand_core_06::OsRng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The signature algorithm of access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    Es256,
    EdDsa,
    Rs256,
    Hs256,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Es256 => "ES256",
            SigningAlg::EdDsa => "EdDSA",
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Hs256 => "HS256",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "ES256" => Some(SigningAlg::Es256),
            "EDDSA" => Some(SigningAlg::EdDsa),
            "RS256" => Some(SigningAlg::Rs256),
            "HS256" => Some(SigningAlg::Hs256),
            _ => None,
        }
    }

    fn jwt(self) -> Algorithm {
        match self {
            SigningAlg::Es256 => Algorithm::ES256,
            SigningAlg::EdDsa => Algorithm::EdDSA,
            SigningAlg::Rs256 => Algorithm::RS256,
            SigningAlg::Hs256 => Algorithm::HS256,
        }
    }

    pub fn is_asymmetric(self) -> bool {
        self != SigningAlg::Hs256
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("stored key {kid} is unusable: {reason}")]
    Unusable { kid: String, reason: String },
}

/// An asymmetric key as stored: private DER and public JWK.
#[derive(Clone)]
pub struct StoredKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub private_der: Vec<u8>,
    /// The public JWK (with `kid`, `alg`, `use`).
    pub public_jwk: Value,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A key id derived from the public key: stable, and it reveals nothing.
fn thumbprint(public: &[u8]) -> String {
    b64(&Sha256::digest(public)[..12])
}

/// The stored form of a key: private DER (PKCS#8, or PKCS#1 for RSA as
/// the JWT library expects), the public JWK, and the bytes the kid hashes.
type Parts = (Vec<u8>, Value, Vec<u8>);

fn es256_parts(key: &p256::ecdsa::SigningKey) -> Result<Parts, KeyError> {
    let der = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(key)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let point = key.verifying_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(KeyError::Generate("P-256 point has no coordinates".into()));
    };
    Ok((
        der.as_bytes().to_vec(),
        json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)}),
        point.as_bytes().to_vec(),
    ))
}

fn eddsa_parts(key: &ed25519_dalek::SigningKey) -> Result<Parts, KeyError> {
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    let der = key
        .to_pkcs8_der()
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let public = key.verifying_key().to_bytes();
    Ok((
        der.as_bytes().to_vec(),
        json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&public)}),
        public.to_vec(),
    ))
}

fn rs256_parts(key: &rsa::RsaPrivateKey) -> Result<Parts, KeyError> {
    use rsa::pkcs1::EncodeRsaPrivateKey as _;
    use rsa::traits::PublicKeyParts as _;
    let der = key
        .to_pkcs1_der()
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let n = key.n().to_bytes_be();
    let e = key.e().to_bytes_be();
    Ok((
        der.as_bytes().to_vec(),
        json!({"kty": "RSA", "n": b64(&n), "e": b64(&e)}),
        n,
    ))
}

fn stored(
    alg: SigningAlg,
    (private_der, public_fields, public_bytes): Parts,
    now: i64,
) -> StoredKey {
    let kid = format!(
        "{}-{}",
        alg.as_str().to_ascii_lowercase(),
        thumbprint(&public_bytes)
    );
    let mut public_jwk = public_fields;
    if let Some(map) = public_jwk.as_object_mut() {
        map.insert("kid".into(), json!(kid));
        map.insert("alg".into(), json!(alg.as_str()));
        map.insert("use".into(), json!("sig"));
    }
    StoredKey {
        kid,
        alg,
        private_der,
        public_jwk,
        created_at: now,
        retired_at: None,
    }
}

/// Generates a new asymmetric key of `alg`.
pub fn generate(alg: SigningAlg, now: i64) -> Result<StoredKey, KeyError> {
    let parts = match alg {
        SigningAlg::Es256 => es256_parts(&p256::ecdsa::SigningKey::random(&mut OsRng))?,
        SigningAlg::EdDsa => eddsa_parts(&ed25519_dalek::SigningKey::generate(&mut OsRng))?,
        SigningAlg::Rs256 => {
            let key = rsa::RsaPrivateKey::new(&mut OsRng, 2048)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            rs256_parts(&key)?
        }
        SigningAlg::Hs256 => {
            return Err(KeyError::Generate("HS256 keys come from JWT_SECRET".into()));
        }
    };
    Ok(stored(alg, parts, now))
}

/// Loads an operator's private key from PEM (PKCS#8; PKCS#1 also for
/// RSA). Its kid is derived from the public key, so every instance given
/// the same file agrees on it.
pub fn from_pem(alg: SigningAlg, pem: &str, now: i64) -> Result<StoredKey, KeyError> {
    let bad = |e: &dyn fmt::Display| KeyError::Unusable {
        kid: "JWT_PRIVATE_KEY_FILE".into(),
        reason: format!("not a {alg} private key in PEM: {e}"),
    };
    let parts = match alg {
        SigningAlg::Es256 => {
            use p256::pkcs8::DecodePrivateKey as _;
            es256_parts(&p256::ecdsa::SigningKey::from_pkcs8_pem(pem).map_err(|e| bad(&e))?)?
        }
        SigningAlg::EdDsa => {
            use ed25519_dalek::pkcs8::DecodePrivateKey as _;
            eddsa_parts(&ed25519_dalek::SigningKey::from_pkcs8_pem(pem).map_err(|e| bad(&e))?)?
        }
        SigningAlg::Rs256 => {
            use rsa::pkcs1::DecodeRsaPrivateKey as _;
            use rsa::pkcs8::DecodePrivateKey as _;
            let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
                .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
                .map_err(|e| bad(&e))?;
            rs256_parts(&key)?
        }
        SigningAlg::Hs256 => return Err(bad(&"HS256 uses JWT_SECRET, not a key file")),
    };
    Ok(stored(alg, parts, now))
}

/// A verifier for one key id.
#[derive(Clone)]
struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

/// The keys in force: one signs, all verify, the asymmetric ones are
/// published. Built once per (re)load and shared read-only.
#[derive(Clone)]
pub struct KeyRing {
    signing_kid: String,
    signing_alg: SigningAlg,
    signing_key: EncodingKey,
    /// ES256 signing key parsed once, signing with ring: jsonwebtoken
    /// re-parses its DER key on every signature, and the pure-Rust P-256
    /// it uses signs several times slower than ring's (signing that way
    /// costs about a sixth of the server's CPU in a complete device flow).
    es256: Option<std::sync::Arc<ring::signature::EcdsaKeyPair>>,
    /// The JWS header of ID tokens and other plain JWTs, already
    /// base64url-encoded (it never changes).
    encoded_header: String,
    header: Header,
    /// The header of access tokens: the same with `typ: at+jwt` (RFC 9068
    /// §2.1), so that no other JWT this server signs can pass for one at
    /// a resource server that checks the type.
    encoded_access_header: String,
    access_header: Header,
    verifiers: HashMap<String, Verifier>,
    /// Verifies tokens that carry no `kid` (issued by the Go AuthGate), when
    /// HS256 is accepted at all.
    legacy_hs256: Option<Verifier>,
    published: Vec<Value>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("signing_kid", &self.signing_kid)
            .field("verifiers", &self.verifiers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// The `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

fn validation(alg: Algorithm, issuer: &str, audience: &str) -> Validation {
    let mut v = Validation::new(alg);
    v.set_issuer(&[issuer]);
    v.set_audience(&[audience]);
    // Expiry is checked by the caller against the injected clock.
    v.validate_exp = false;
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v
}

/// A token could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("signing failed: {0}")]
pub struct SignError(String);

impl KeyRing {
    /// Builds the ring. `signing` is the stored key to sign with (`None`
    /// signs with HS256 and `hmac_secret`); `published` are the asymmetric
    /// keys still verifying (including `signing`). HS256 tokens verify when
    /// HS256 signs, or when `accept_hs256` says to keep accepting them
    /// beside an asymmetric key (a migration from the Go AuthGate).
    pub fn new(
        signing: Option<&StoredKey>,
        published: &[StoredKey],
        hmac_secret: &[u8],
        accept_hs256: bool,
        issuer: &str,
        audience: &str,
    ) -> Result<Self, KeyError> {
        let hs_kid = format!("hs256-{}", thumbprint(hmac_secret));
        let hs256_signs = signing.is_none_or(|key| key.alg == SigningAlg::Hs256);
        let legacy_hs256 = (hs256_signs || accept_hs256).then(|| Verifier {
            key: DecodingKey::from_secret(hmac_secret),
            validation: validation(Algorithm::HS256, issuer, audience),
        });
        let mut verifiers = HashMap::new();
        if let Some(hs256) = &legacy_hs256 {
            verifiers.insert(hs_kid.clone(), hs256.clone());
        }
        for key in published {
            verifiers.insert(key.kid.clone(), verifier_of(key, issuer, audience)?);
        }
        let (signing_kid, signing_key, signing_alg) = match signing {
            Some(key) => {
                let encoding = match key.alg {
                    SigningAlg::Es256 => EncodingKey::from_ec_der(&key.private_der),
                    SigningAlg::EdDsa => EncodingKey::from_ed_der(&key.private_der),
                    SigningAlg::Rs256 => EncodingKey::from_rsa_der(&key.private_der),
                    SigningAlg::Hs256 => EncodingKey::from_secret(hmac_secret),
                };
                (key.kid.clone(), encoding, key.alg)
            }
            None => (
                hs_kid,
                EncodingKey::from_secret(hmac_secret),
                SigningAlg::Hs256,
            ),
        };
        let mut header = Header::new(signing_alg.jwt());
        header.kid = Some(signing_kid.clone());
        let es256 = match signing {
            Some(key) if key.alg == SigningAlg::Es256 => {
                Some(std::sync::Arc::new(es256_pair(key)?))
            }
            _ => None,
        };
        let encode = |header: &Header| {
            serde_json::to_vec(header)
                .map(|json| URL_SAFE_NO_PAD.encode(json))
                .map_err(|e| KeyError::Unusable {
                    kid: signing_kid.clone(),
                    reason: e.to_string(),
                })
        };
        let mut access_header = header.clone();
        access_header.typ = Some(ACCESS_TOKEN_TYP.to_owned());
        let encoded_header = encode(&header)?;
        let encoded_access_header = encode(&access_header)?;
        Ok(Self {
            signing_kid,
            signing_alg,
            signing_key,
            es256,
            encoded_header,
            header,
            encoded_access_header,
            access_header,
            verifiers,
            legacy_hs256,
            published: published.iter().map(|k| k.public_jwk.clone()).collect(),
        })
    }

    pub fn signing_kid(&self) -> &str {
        &self.signing_kid
    }

    /// The algorithm new tokens are signed with.
    pub fn signing_alg(&self) -> SigningAlg {
        self.signing_alg
    }

    /// A compact JWS of `claims` (RFC 7515 §7.1) with this ring's key.
    pub fn sign<T: serde::Serialize>(&self, claims: &T) -> Result<String, SignError> {
        self.sign_with(&self.header, &self.encoded_header, claims)
    }

    /// [`KeyRing::sign`] for an access token: its header says `at+jwt`.
    pub fn sign_access<T: serde::Serialize>(&self, claims: &T) -> Result<String, SignError> {
        self.sign_with(&self.access_header, &self.encoded_access_header, claims)
    }

    fn sign_with<T: serde::Serialize>(
        &self,
        header: &Header,
        encoded_header: &str,
        claims: &T,
    ) -> Result<String, SignError> {
        let Some(key) = &self.es256 else {
            return jsonwebtoken::encode(header, claims, &self.signing_key)
                .map_err(|e| SignError(e.to_string()));
        };
        // ES256 (RFC 7518 §3.4): the signature is R || S, 64 bytes.
        let payload = serde_json::to_vec(claims).map_err(|e| SignError(e.to_string()))?;
        let message = format!("{encoded_header}.{}", URL_SAFE_NO_PAD.encode(payload));
        let signature = key
            .sign(&ring::rand::SystemRandom::new(), message.as_bytes())
            .map_err(|e| SignError(e.to_string()))?;
        Ok(format!(
            "{message}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }

    /// Verifies signature, algorithm (the `kid`'s, never the header's alone), issuer, audience.
    pub fn verify<T: serde::de::DeserializeOwned>(&self, token: &str) -> Option<T> {
        let (key, validation) = self.verifier_of(token)?;
        jsonwebtoken::decode::<T>(token, key, validation)
            .map(|d| d.claims)
            .ok()
    }

    /// The key and checks registered for a token's `kid`.
    pub(super) fn verifier_of(&self, token: &str) -> Option<(&DecodingKey, &Validation)> {
        let verifier = match jsonwebtoken::decode_header(token).ok()?.kid.as_deref() {
            Some(kid) => self.verifiers.get(kid)?,
            None => self.legacy_hs256.as_ref()?,
        };
        Some((&verifier.key, &verifier.validation))
    }

    /// Whether a token names a key id this ring does not know (a reason to
    /// reload keys another instance may have rotated in).
    pub fn knows_kid_of(&self, token: &str) -> bool {
        match jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid) {
            Some(kid) => self.verifiers.contains_key(&kid),
            None => true,
        }
    }

    /// The JWK Set document (RFC 7517 §5): public keys only.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.published })
    }
}

/// The verifier of a published key, from its public JWK.
fn verifier_of(key: &StoredKey, issuer: &str, audience: &str) -> Result<Verifier, KeyError> {
    let unusable = |reason: String| KeyError::Unusable {
        kid: key.kid.clone(),
        reason,
    };
    let jwk: Jwk =
        serde_json::from_value(key.public_jwk.clone()).map_err(|e| unusable(e.to_string()))?;
    let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| unusable(e.to_string()))?;
    Ok(Verifier {
        key: decoding,
        validation: validation(key.alg.jwt(), issuer, audience),
    })
}

/// An ES256 signing key parsed once for `ring`, which signs several times
/// faster than the pure-Rust P-256 that verification uses.
fn es256_pair(key: &StoredKey) -> Result<ring::signature::EcdsaKeyPair, KeyError> {
    ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &key.private_der,
        &ring::rand::SystemRandom::new(),
    )
    .map_err(|e| KeyError::Unusable {
        kid: key.kid.clone(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests;
