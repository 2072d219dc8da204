//! DPOP_NONCE on: the token endpoint wants a nonce of ours in each proof
//! (RFC 9449 §8), hands a fresh one out with every answer, and accepts one
//! from any instance of the deployment.

use serde_json::json;

use super::{DpopKey, approved_device_code, poll};
use crate::support::{Reply, TestApp};

/// Asserts a `use_dpop_nonce` answer; the nonce it hands out.
#[track_caller]
fn asks_for_nonce(reply: &Reply) -> String {
    assert_eq!(reply.status, 400, "{:?}", reply.json);
    assert_eq!(reply.json["error"], "use_dpop_nonce", "{:?}", reply.json);
    reply
        .header("dpop-nonce")
        .expect("a DPoP-Nonce header")
        .to_owned()
}

fn with_nonce(key: &DpopKey, app: &TestApp, nonce: &str) -> String {
    let mut claims = key.claims(app, "POST", "/oauth/token");
    claims["nonce"] = json!(nonce);
    key.sign(&key.header(), &claims)
}

#[tokio::test]
async fn with_nonces_on_a_proof_needs_a_fresh_one() {
    let app = TestApp::spawn_with(|c| c.dpop_nonce = true).await;
    let other =
        TestApp::spawn_on(app.dir.clone(), app.clock.clone(), |c| c.dpop_nonce = true).await;
    let key = DpopKey::es256();
    let device_code = approved_device_code(&app).await;

    let nonce = asks_for_nonce(&poll(&app, &device_code, &[&key.token_proof(&app)]).await);
    // A nonce of our making only.
    let forged =
        asks_for_nonce(&poll(&app, &device_code, &[&with_nonce(&key, &app, "mine")]).await);
    assert_eq!(forged, nonce, "one nonce per window");

    // Stale: two windows later.
    app.advance(11 * 60);
    let fresh = asks_for_nonce(&poll(&app, &device_code, &[&with_nonce(&key, &app, &nonce)]).await);
    assert_ne!(fresh, nonce);

    // Handed out by one instance, accepted by the other.
    let reply = poll(&other, &device_code, &[&with_nonce(&key, &other, &fresh)]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["token_type"], "DPoP");
    assert!(reply.header("dpop-nonce").is_some(), "every answer has one");

    // Without a proof nothing is asked: the token is a bearer token.
    let plain = app.issue_token().await;
    assert!(!plain.is_empty());
    other.shutdown().await;
    app.shutdown().await;
}

#[tokio::test]
async fn without_the_setting_no_nonce_is_asked_or_given() {
    let app = TestApp::spawn().await;
    let key = DpopKey::es256();
    let device_code = approved_device_code(&app).await;
    let reply = poll(&app, &device_code, &[&key.token_proof(&app)]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert!(reply.header("dpop-nonce").is_none());
    app.shutdown().await;
}
