//! The resources AuthGate serves (userinfo, tokeninfo) take a bound token
//! as `Authorization: DPoP` with a proof of its key that carries the
//! token's hash; as `Bearer`, or with another key's proof, it is refused.

use serde_json::json;

use super::{DpopKey, token};
use crate::support::DEVICE_GRANT;
use crate::support::{Reply, TestApp};

const USERINFO: &str = "/oauth/userinfo";

/// `GET path` with `Authorization: <scheme> <token>` and the given proofs.
async fn get(app: &TestApp, path: &str, scheme: &str, token: &str, proofs: &[&str]) -> Reply {
    let mut request = app
        .http
        .get(app.url(path))
        .header("authorization", format!("{scheme} {token}"));
    for proof in proofs {
        request = request.header("DPoP", *proof);
    }
    TestApp::reply(request.send().await.expect("send")).await
}

/// A public client that may ask for `openid`.
const APP: &str = "dpop-app";

/// A device flow of [`APP`] for `openid profile`, completed with a proof
/// of `key` (if any): the access token.
async fn openid_token(app: &TestApp, key: Option<&DpopKey>) -> String {
    app.add_client(APP, None, "openid profile", false).await;
    let started = app
        .post_form(
            "/oauth/device/code",
            &[("client_id", APP), ("scope", "openid profile")],
        )
        .await;
    app.approve(started.json["user_code"].as_str().unwrap())
        .await;
    let device_code = started.json["device_code"].as_str().unwrap();
    let proofs: Vec<String> = key.iter().map(|k| k.token_proof(app)).collect();
    let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
    let form = [
        ("grant_type", DEVICE_GRANT),
        ("device_code", device_code),
        ("client_id", APP),
    ];
    let reply = token(app, &form, &proofs).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    reply.json["access_token"].as_str().unwrap().to_owned()
}

/// Asserts a resource's 401 `invalid_dpop_proof` with a DPoP challenge.
#[track_caller]
fn refused(reply: &Reply, why: &str) {
    assert_eq!(reply.status, 401, "{:?}", reply.json);
    assert_eq!(
        reply.json["error"], "invalid_dpop_proof",
        "{:?}",
        reply.json
    );
    let challenge = reply.header("www-authenticate").unwrap_or("");
    assert!(
        challenge.starts_with("DPoP ") && challenge.contains("error=\"invalid_dpop_proof\""),
        "{challenge}"
    );
    let description = reply.json["error_description"].as_str().unwrap_or("");
    assert!(description.contains(why), "{description:?} lacks {why:?}");
}

#[tokio::test]
async fn userinfo_takes_a_bound_token_with_a_proof_of_its_key_only() {
    let app = TestApp::spawn().await;
    let key = DpopKey::es256();
    let access = openid_token(&app, Some(&key)).await;

    let ok = get(
        &app,
        USERINFO,
        "DPoP",
        &access,
        &[&key.proof_for(&app, "GET", USERINFO, &access)],
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.json);
    assert_eq!(ok.json["sub"], app.admin_id);

    // POST is its own method and proof.
    let post = app
        .http
        .post(app.url(USERINFO))
        .header("authorization", format!("DPoP {access}"))
        .header("DPoP", key.proof_for(&app, "POST", USERINFO, &access))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 200);

    // Copied off the laptop: as a bearer token it is refused.
    let bearer = get(&app, USERINFO, "Bearer", &access, &[]).await;
    assert_eq!(bearer.status, 401, "{:?}", bearer.json);
    assert_eq!(bearer.json["error"], "invalid_token");
    let form = app
        .post_form(USERINFO, &[("access_token", access.as_str())])
        .await;
    assert_eq!(form.json["error"], "invalid_token", "{:?}", form.json);

    // With a proof of another key, even one that is right in every other way.
    let thief = DpopKey::es256();
    let other = get(
        &app,
        USERINFO,
        "DPoP",
        &access,
        &[&thief.proof_for(&app, "GET", USERINFO, &access)],
    )
    .await;
    refused(&other, "not the one the access token is bound to");

    // Without a proof, or with a proof without ath, or ath of another token.
    let none = get(&app, USERINFO, "DPoP", &access, &[]).await;
    refused(&none, "needs a DPoP proof");
    let no_ath = get(
        &app,
        USERINFO,
        "DPoP",
        &access,
        &[&key.proof(&app, "GET", USERINFO)],
    )
    .await;
    refused(&no_ath, "ath");
    let mut claims = key.claims(&app, "GET", USERINFO);
    claims["ath"] = json!(authgate::model::dpop::access_token_hash("another token"));
    let wrong_ath = get(
        &app,
        USERINFO,
        "DPoP",
        &access,
        &[&key.sign(&key.header(), &claims)],
    )
    .await;
    refused(&wrong_ath, "ath");

    // A proof for the token endpoint is not one for userinfo; nor is a
    // replayed one.
    let token_proof = key.proof_for(&app, "GET", "/oauth/token", &access);
    refused(
        &get(&app, USERINFO, "DPoP", &access, &[&token_proof]).await,
        "htu",
    );
    let proof = key.proof_for(&app, "GET", USERINFO, &access);
    assert_eq!(
        get(&app, USERINFO, "DPoP", &access, &[&proof]).await.status,
        200
    );
    refused(
        &get(&app, USERINFO, "DPoP", &access, &[&proof]).await,
        "used before",
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_bearer_token_is_not_sent_as_dpop() {
    let app = TestApp::spawn().await;
    let access = openid_token(&app, None).await;
    let key = DpopKey::es256();
    let reply = get(
        &app,
        USERINFO,
        "DPoP",
        &access,
        &[&key.proof_for(&app, "GET", USERINFO, &access)],
    )
    .await;
    assert_eq!(reply.status, 401, "{:?}", reply.json);
    assert_eq!(reply.json["error"], "invalid_token");
    assert_eq!(
        get(&app, USERINFO, "Bearer", &access, &[]).await.status,
        200
    );
    app.shutdown().await;
}

#[tokio::test]
async fn tokeninfo_checks_a_dpop_token_s_proof() {
    let app = TestApp::spawn().await;
    let key = DpopKey::es256();
    let access = openid_token(&app, Some(&key)).await;
    const PATH: &str = "/oauth/tokeninfo";

    let ok = get(
        &app,
        PATH,
        "DPoP",
        &access,
        &[&key.proof_for(&app, "GET", PATH, &access)],
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.json);
    assert_eq!(ok.json["cnf"]["jkt"], key.jkt());
    let thief = DpopKey::es256();
    let other = get(
        &app,
        PATH,
        "DPoP",
        &access,
        &[&thief.proof_for(&app, "GET", PATH, &access)],
    )
    .await;
    refused(&other, "not the one");
    app.shutdown().await;
}

#[tokio::test]
async fn userinfo_offers_both_schemes() {
    let app = TestApp::spawn().await;
    let reply = app.get(USERINFO).await;
    assert_eq!(reply.status, 401);
    let schemes: Vec<&str> = reply
        .headers
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        schemes.iter().any(|s| s.starts_with("Bearer")),
        "{schemes:?}"
    );
    assert!(
        schemes.iter().any(|s| s.starts_with("DPoP algs=")),
        "{schemes:?}"
    );
    app.shutdown().await;
}
