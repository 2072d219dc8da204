//! OpenID Connect: user profiles, ID tokens (authorization code, refresh,
//! device grants), UserInfo, discovery, PKCE on the device grant, and a
//! real relying party (the `openidconnect` crate) on either engine.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::Value;
use sha2::Digest;

use crate::support::{Reply, TestApp};

mod device;
mod id_token;
mod profile;
mod relying_party;
mod userinfo;

/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const RP: &str = "rp";
pub const REDIRECT: &str = "https://rp.example/callback";
pub const ISSUER: &str = "http://localhost:8080";

/// An app with a public client `rp` (refresh tokens on) allowed OpenID
/// Connect's scopes and `read`, redirecting to [`REDIRECT`], and the
/// administrator's profile filled in.
pub async fn spawn_with(adjust: impl FnOnce(&mut authgate::config::Config)) -> TestApp {
    let app = TestApp::spawn_with(adjust).await;
    app.add_client(RP, None, "openid profile email read", true)
        .await;
    app.core
        .store
        .set_client_redirect_uris(RP, &[REDIRECT.into(), "http://127.0.0.1/cb".into()])
        .await
        .unwrap();
    app.core
        .store
        .set_user_profile(
            &app.admin_id,
            &authgate::model::user::Profile {
                email: Some("admin@example.com".into()),
                email_verified: true,
                name: Some("Ada Admin".into()),
            },
            0,
        )
        .await
        .unwrap();
    app
}

pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

/// Approves an authorization request for `scope` (with `nonce` when
/// given) in the app's signed-in browser and returns the code; a request
/// the person's remembered consent covers gets its code without the page.
pub async fn code_for(app: &TestApp, scope: &str, nonce: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", RP)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", "s")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    if let Some(nonce) = nonce {
        query.append_pair("nonce", nonce);
    }
    let page = app
        .page(&format!("/oauth/authorize?{}", query.finish()))
        .await;
    if page.status == 303 {
        let location = page.location().expect("a redirect");
        assert!(location.starts_with(REDIRECT), "{location}");
        return params(location)["code"].clone();
    }
    assert_eq!(page.status, 200, "consent page: {}", page.body);
    let reply = app.decide_app(&page, "approve").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    params(reply.location().unwrap())["code"].clone()
}

pub fn params(location: &str) -> HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub async fn exchange(app: &TestApp, code: &str) -> Reply {
    app.post_form(
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", RP),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

/// Verifies an ID token's signature with the published JWK Set (the key
/// its `kid` names), its issuer and audience; returns its claims.
pub async fn verified(app: &TestApp, id_token: &str, audience: &str) -> Value {
    let jwks: JwkSet =
        serde_json::from_value(app.get("/.well-known/jwks.json").await.json).expect("a JWK Set");
    let header = jsonwebtoken::decode_header(id_token).expect("a JWS header");
    let kid = header.kid.expect("a kid");
    let jwk = jwks.find(&kid).expect("the kid is published");
    let key = DecodingKey::from_jwk(jwk).expect("a usable key");
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[audience]);
    // The server's clock is the tests' manual one.
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .expect("the ID token verifies")
        .claims
}

/// OpenID Connect Core §3.1.3.6 for SHA-256 algorithms (ES256, RS256).
pub fn at_hash_sha256(access_token: &str) -> String {
    let digest = sha2::Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}
