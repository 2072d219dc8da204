//! `GET /oauth/tokeninfo`.

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
