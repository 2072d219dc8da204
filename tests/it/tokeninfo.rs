//! `GET /oauth/tokeninfo`.

use authgate::crypto::jwt::{AccessClaims, TokenSigner};
use authgate::crypto::keys::SigningAlg;
use secrecy::SecretString;

use crate::support::TestApp;

#[tokio::test]
async fn valid_token_by_header_or_query() {
    let app = TestApp::spawn().await;
    let token = app.issue_token().await;
    let r = app.tokeninfo(&token).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["active"], true);
    assert_eq!(r.json["user_id"], app.admin_id.as_str());
    assert_eq!(r.json["username"], "admin");
    assert_eq!(r.json["client_id"], app.cli_client_id.as_str());
    assert_eq!(r.json["scope"], "read write");
    assert!(r.json["exp"].as_i64().unwrap() > r.json["iat"].as_i64().unwrap());

    let r = app
        .get(&format!("/oauth/tokeninfo?access_token={token}"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["active"], true);
}

#[tokio::test]
async fn bad_tokens_are_401_invalid_token() {
    let app = TestApp::spawn().await;
    let token = app.issue_token().await;

    // Tampered: flip the payload.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    let r = app.tokeninfo(&parts.join(".")).await;
    assert_eq!((r.status, r.error()), (401, "invalid_token"));
    assert!(
        r.header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );

    let r = app.tokeninfo("garbage").await;
    assert_eq!((r.status, r.error()), (401, "invalid_token"));

    // Signed by someone else.
    let foreign = authgate::crypto::jwt::TokenSigner::hs256(
        b"another-secret-another-secret-12",
        "http://localhost:8080",
        "http://localhost:8080",
    );
    let claims = app.core.signer.verify(&token).unwrap();
    let r = app.tokeninfo(&foreign.sign(&claims).unwrap()).await;
    assert_eq!((r.status, r.error()), (401, "invalid_token"));

    // Expired by the clock.
    app.advance(3600);
    let r = app.tokeninfo(&token).await;
    assert_eq!((r.status, r.error()), (401, "invalid_token"));
}

#[tokio::test]
async fn missing_token_is_invalid_request() {
    let app = TestApp::spawn().await;
    let r = app.get("/oauth/tokeninfo").await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
}

/// The issuer of `Config::development` (BASE_URL).
const ISSUER: &str = "http://localhost:8080";
const JWT_SECRET: &str = "an-explicit-jwt-secret-of-32-bytes";
const INTROSPECTION_TOKEN: &str = "resource-server-token-123";

/// `POST /oauth/introspect` with the introspection bearer token.
async fn introspect(app: &TestApp, token: &str) -> crate::support::Reply {
    let resp = app
        .http
        .post(app.url("/oauth/introspect"))
        .bearer_auth(INTROSPECTION_TOKEN)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    TestApp::reply(resp).await
}

/// `claims` signed with JWT_SECRET the way anyone who knows it could:
/// with the server's HS256 key id, and without any (as the Go AuthGate did).
fn forge(claims: &AccessClaims) -> [String; 2] {
    let signer = TokenSigner::hs256(JWT_SECRET.as_bytes(), ISSUER, ISSUER);
    let with_kid = signer.sign(claims).unwrap();
    let without_kid = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    [with_kid, without_kid]
}

/// Tokeninfo and introspection go by the expiry recorded when the token
/// was issued: a token re-signed with a later `exp` by someone who holds
/// the key is still over when its recorded time is.
#[tokio::test]
async fn the_stored_expiry_wins_over_a_later_exp_in_the_token() {
    let app = TestApp::spawn_with(|c| {
        c.signing_alg = SigningAlg::Hs256;
        c.jwt_secret = Some(SecretString::from(JWT_SECRET));
        c.introspection_token = Some(SecretString::from(INTROSPECTION_TOKEN));
    })
    .await;
    let token = app.issue_token().await;
    let mut claims = app.core.signer.verify(&token).unwrap();
    let stored_exp = claims.exp;
    claims.exp += 30 * 24 * 3600;
    let resigned = forge(&claims);
    for t in &resigned {
        assert_eq!(app.tokeninfo(t).await.status, 200, "before expiry");
    }

    app.advance(3600);
    for t in std::iter::once(&token).chain(&resigned) {
        let r = app.tokeninfo(t).await;
        assert_eq!(
            (r.status, r.error()),
            (401, "invalid_token"),
            "{:?}",
            r.json
        );
        let r = introspect(&app, t).await;
        assert_eq!(r.json, serde_json::json!({"active": false}));
    }
    assert!(app.core.clock.now_secs() >= stored_exp);
}

/// With an asymmetric signing algorithm, JWT_SECRET signs nothing: a token
/// forged with it is refused, unless the operator keeps accepting HS256
/// while migrating from the Go AuthGate (JWT_ACCEPT_HS256).
#[tokio::test]
async fn hs256_tokens_are_refused_unless_hs256_is_configured_or_accepted() {
    let spawn = |accept_hs256: bool| {
        TestApp::spawn_with(move |c| {
            c.signing_alg = SigningAlg::Es256;
            c.jwt_secret = Some(SecretString::from(JWT_SECRET));
            c.introspection_token = Some(SecretString::from(INTROSPECTION_TOKEN));
            c.accept_hs256 = accept_hs256;
        })
    };
    let app = spawn(false).await;
    let token = app.issue_token().await;
    let claims = app.core.signer.verify(&token).unwrap();
    for forged in forge(&claims) {
        let r = app.tokeninfo(&forged).await;
        assert_eq!(
            (r.status, r.error()),
            (401, "invalid_token"),
            "{:?}",
            r.json
        );
        let r = introspect(&app, &forged).await;
        assert_eq!(r.json, serde_json::json!({"active": false}));
    }
    assert_eq!(app.tokeninfo(&token).await.status, 200, "ES256 still works");

    let app = spawn(true).await;
    let token = app.issue_token().await;
    let claims = app.core.signer.verify(&token).unwrap();
    for forged in forge(&claims) {
        assert_eq!(app.tokeninfo(&forged).await.status, 200);
        assert_eq!(introspect(&app, &forged).await.json["active"], true);
    }
}

#[tokio::test]
async fn a_refresh_token_never_passes_for_an_access_token() {
    let app = TestApp::spawn_with(|c| {
        c.introspection_token = Some(SecretString::from(INTROSPECTION_TOKEN));
    })
    .await;
    let tokens = app.issue_tokens().await;
    // Where an access token is wanted: tokeninfo, UserInfo.
    let info = app.tokeninfo(&tokens.refresh).await;
    assert_eq!(info.status, 401, "{:?}", info.json);
    assert_eq!(info.json["error"], "invalid_token");
    let userinfo = app
        .http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(&tokens.refresh)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status().as_u16(), 401);
    // Introspection describes it, as what it is.
    let described = introspect(&app, &tokens.refresh).await;
    assert_eq!(described.json["active"], true);
    assert_eq!(described.json["token_type"], "refresh_token");
    // And an access token is not a refresh token either.
    let refreshed = app.refresh(&tokens.access, None).await;
    assert_eq!(refreshed.status, 400);
    // Longer than any refresh token: refused as malformed before lookup.
    assert!(
        matches!(
            refreshed.json["error"].as_str(),
            Some("invalid_grant" | "invalid_request")
        ),
        "{:?}",
        refreshed.json
    );
    app.shutdown().await;
}
