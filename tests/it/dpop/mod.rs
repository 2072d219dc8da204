//! DPoP (RFC 9449): tokens bound to a key the client proves it holds, at
//! the token endpoint for every grant, at the resources AuthGate serves,
//! with server nonces when they are required; every refusal.

use authgate::clock::Clock;
use authgate::crypto::keys::{SigningAlg, StoredKey, generate};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use crate::support::{DEVICE_GRANT, Reply, TestApp};

mod grants;
mod nonces;
mod refusals;
mod resources;

/// A client's DPoP key pair.
pub struct DpopKey {
    key: StoredKey,
}

impl DpopKey {
    pub fn new(alg: SigningAlg) -> Self {
        Self {
            key: generate(alg, 0).expect("generate a key"),
        }
    }

    pub fn es256() -> Self {
        Self::new(SigningAlg::Es256)
    }

    /// The public key as a JWK, as a client sends it.
    pub fn jwk(&self) -> Value {
        self.key.public_jwk.clone()
    }

    /// Its RFC 7638 thumbprint, as tokens name it.
    pub fn jkt(&self) -> String {
        authgate::model::dpop::thumbprint(&self.jwk()).expect("thumbprint")
    }

    fn alg(&self) -> &'static str {
        match self.key.alg {
            SigningAlg::Es256 => "ES256",
            SigningAlg::EdDsa => "EdDSA",
            _ => "RS256",
        }
    }

    /// The header of a good proof.
    pub fn header(&self) -> Value {
        json!({ "typ": "dpop+jwt", "alg": self.alg(), "jwk": self.jwk() })
    }

    /// The claims of a good proof of `method path` at `app`, now.
    pub fn claims(&self, app: &TestApp, method: &str, path: &str) -> Value {
        json!({
            "jti": app.core.random.token(12),
            "htm": method,
            "htu": format!("{}{path}", app.core.policy.issuer),
            "iat": app.clock.now_secs(),
        })
    }

    /// `header` and `claims` signed with this key (whatever they say).
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let alg = match self.key.alg {
            SigningAlg::Es256 => Algorithm::ES256,
            SigningAlg::EdDsa => Algorithm::EdDSA,
            _ => Algorithm::RS256,
        };
        let encoding = match self.key.alg {
            SigningAlg::Es256 => EncodingKey::from_ec_der(&self.key.private_der),
            SigningAlg::EdDsa => EncodingKey::from_ed_der(&self.key.private_der),
            _ => EncodingKey::from_rsa_der(&self.key.private_der),
        };
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &encoding, alg).unwrap();
        format!("{message}.{signature}")
    }

    /// A good proof of `method path` at `app`.
    pub fn proof(&self, app: &TestApp, method: &str, path: &str) -> String {
        self.sign(&self.header(), &self.claims(app, method, path))
    }

    /// A good proof for the token endpoint.
    pub fn token_proof(&self, app: &TestApp) -> String {
        self.proof(app, "POST", "/oauth/token")
    }

    /// A good proof of `method path` presenting `token`.
    pub fn proof_for(&self, app: &TestApp, method: &str, path: &str, token: &str) -> String {
        let mut claims = self.claims(app, method, path);
        claims["ath"] = json!(authgate::model::dpop::access_token_hash(token));
        self.sign(&self.header(), &claims)
    }
}

/// `POST /oauth/token` with `form` and the given `DPoP` headers.
pub async fn token(app: &TestApp, form: &[(&str, &str)], proofs: &[&str]) -> Reply {
    let mut request = app.http.post(app.url("/oauth/token")).form(form);
    for proof in proofs {
        request = request.header("DPoP", *proof);
    }
    TestApp::reply(request.send().await.expect("send")).await
}

/// A device flow of the CLI client (public) approved by the administrator;
/// its device code.
pub async fn approved_device_code(app: &TestApp) -> String {
    let (device_code, user_code) = app.start_flow().await;
    app.approve(&user_code).await;
    device_code
}

/// The token poll of the CLI client for `device_code`, with `proofs`.
pub async fn poll(app: &TestApp, device_code: &str, proofs: &[&str]) -> Reply {
    token(
        app,
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", &app.cli_client_id),
        ],
        proofs,
    )
    .await
}

/// A device flow completed with a proof of `key`: the token response.
pub async fn bound_tokens(app: &TestApp, key: &DpopKey) -> Reply {
    let device_code = approved_device_code(app).await;
    let reply = poll(app, &device_code, &[&key.token_proof(app)]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    reply
}

/// The claims of a JWT, unverified.
pub fn jwt_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

/// Asserts `reply` is the token endpoint's `invalid_dpop_proof` and its
/// description mentions `why`.
#[track_caller]
pub fn refused(reply: &Reply, why: &str) {
    assert_eq!(reply.status, 400, "{:?}", reply.json);
    assert_eq!(
        reply.json["error"], "invalid_dpop_proof",
        "{:?}",
        reply.json
    );
    let description = reply.json["error_description"].as_str().unwrap_or("");
    assert!(description.contains(why), "{description:?} lacks {why:?}");
}
