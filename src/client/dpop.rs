//! The command line's DPoP key (RFC 9449): made at `authgate login` when
//! the server offers DPoP, kept beside the credentials (mode 0600), and
//! used to sign a proof for every token and refresh request, so the stored
//! tokens are useless without this file.

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::crypto::keys::{SigningAlg, generate};
use crate::crypto::random::Random;

/// The key file's contents. No `Debug`: it holds the private key.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredDpopKey {
    /// Always `ES256` for now.
    pub alg: String,
    /// PKCS#8 DER, base64url.
    pub private_pkcs8: String,
    /// The public half, as proofs carry it.
    pub jwk: Value,
}

impl std::fmt::Debug for StoredDpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredDpopKey")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl StoredDpopKey {
    /// A new P-256 key pair from the operating system's randomness.
    pub fn generate() -> anyhow::Result<Self> {
        let key = generate(SigningAlg::Es256, 0).context("cannot make a DPoP key")?;
        let mut jwk = key.public_jwk;
        // Only the key itself: proofs need no kid.
        if let Some(members) = jwk.as_object_mut() {
            members.retain(|name, _| matches!(name.as_str(), "kty" | "crv" | "x" | "y"));
        }
        Ok(Self {
            alg: "ES256".into(),
            private_pkcs8: URL_SAFE_NO_PAD.encode(&key.private_der),
            jwk,
        })
    }

    /// Its RFC 7638 thumbprint (what the server binds tokens to).
    pub fn jkt(&self) -> anyhow::Result<String> {
        crate::model::dpop::thumbprint(&self.jwk).map_err(|e| anyhow::anyhow!(e))
    }
}

/// Signs proofs with one key and remembers the server's latest nonce.
#[derive(Clone)]
pub struct Prover {
    jwk: Value,
    encoding: Arc<EncodingKey>,
    nonce: Arc<Mutex<Option<String>>>,
    random: Random,
}

impl std::fmt::Debug for Prover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prover").finish_non_exhaustive()
    }
}

impl Prover {
    pub fn new(key: &StoredDpopKey) -> anyhow::Result<Self> {
        anyhow::ensure!(key.alg == "ES256", "the DPoP key file names an unknown alg");
        let der = URL_SAFE_NO_PAD
            .decode(&key.private_pkcs8)
            .context("the DPoP key file is damaged")?;
        Ok(Self {
            jwk: key.jwk.clone(),
            encoding: Arc::new(EncodingKey::from_ec_der(&der)),
            nonce: Arc::default(),
            random: Random::os(),
        })
    }

    /// A proof for `method url` (RFC 9449 §4.2), with `ath` when it goes
    /// with `access_token`, and the server's last nonce if it gave one.
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
    ) -> anyhow::Result<String> {
        let mut claims = json!({
            "jti": self.random.token(16),
            "htm": method,
            "htu": url,
            "iat": super::now_secs(),
        });
        if let Some(token) = access_token {
            claims["ath"] = json!(crate::model::dpop::access_token_hash(token));
        }
        if let Some(nonce) = self.nonce() {
            claims["nonce"] = json!(nonce);
        }
        let header = json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk });
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &self.encoding, Algorithm::ES256)
                .context("cannot sign a DPoP proof")?;
        Ok(format!("{message}.{signature}"))
    }

    /// The nonce the server last sent (RFC 9449 §8).
    pub fn nonce(&self) -> Option<String> {
        self.nonce.lock().ok().and_then(|n| n.clone())
    }

    /// Remembers a `DPoP-Nonce` header's value; whether it is new.
    pub fn remember_nonce(&self, nonce: &str) -> bool {
        match self.nonce.lock() {
            Ok(mut slot) if slot.as_deref() != Some(nonce) => {
                *slot = Some(nonce.to_owned());
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_passes_the_server_s_checks() {
        let key = StoredDpopKey::generate().unwrap();
        let prover = Prover::new(&key).unwrap();
        let url = "https://auth.example/oauth/token";
        let proof = prover.proof("POST", url, Some("token")).unwrap();
        let checked = crate::model::dpop::check(
            &proof,
            &crate::model::dpop::Request {
                method: "POST",
                url,
                now: super::super::now_secs(),
                access_token: Some("token"),
            },
        )
        .unwrap();
        assert_eq!(checked.jkt, key.jkt().unwrap());
        assert_eq!(checked.nonce, None);
        assert!(prover.remember_nonce("n1"));
        assert!(!prover.remember_nonce("n1"));
        let proof = prover.proof("POST", url, None).unwrap();
        let payload = proof.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(claims["nonce"], "n1");
        assert!(!format!("{key:?}").contains(&key.private_pkcs8));
    }
}
