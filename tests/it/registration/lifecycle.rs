//! A registered client's life: pending and rejected clients refused at the
//! authorization, device and token endpoints; the registration access
//! token (RFC 7592); back to pending after a security-relevant update;
//! deletion revoking its tokens; approval reaching another instance.

use std::sync::Arc;

use authgate::cli::RegistrationMode;
use authgate::clock::ManualClock;
use reqwest::Method;
use serde_json::json;

use super::{
    decide, device_code, device_metadata, device_token, manage, mcp_metadata, registered, spawn,
};
use crate::support::{TestApp, TestDb, backend};

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn authorize_path(id: &str) -> String {
    format!(
        "/oauth/authorize?response_type=code&client_id={id}\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback&scope=read&state=s\
         &code_challenge={CHALLENGE}&code_challenge_method=S256"
    )
}

/// Everything a client could do is refused while it is not approved:
/// the authorization endpoint shows a page (never a redirect), the device
/// and token endpoints answer `invalid_client`.
async fn assert_refused_everywhere(app: &TestApp, id: &str, words: &str) {
    let page = app.page(&authorize_path(id)).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.location().is_none());
    assert!(page.body.contains(words), "{}", page.body);
    let reply = device_code(app, id).await;
    assert_eq!(
        (reply.status, reply.error()),
        (400, "invalid_client"),
        "{:?}",
        reply.json
    );
    let reply = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", "whatever"),
                ("redirect_uri", "http://127.0.0.1:33418/callback"),
                ("client_id", id),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                ),
            ],
        )
        .await;
    assert_eq!(
        (reply.status, reply.error()),
        (400, "invalid_client"),
        "{:?}",
        reply.json
    );
}

#[tokio::test]
async fn pending_and_rejected_clients_can_do_nothing() {
    let app = spawn(RegistrationMode::Open).await;
    app.sign_in().await;
    let mut both = mcp_metadata();
    both["grant_types"] = json!(["authorization_code", super::DEVICE_GRANT]);
    let (pending, _) = registered(&app, &both).await;
    assert_refused_everywhere(&app, &pending, "waiting for an administrator").await;
    let meta = app.get("/.well-known/oauth-authorization-server").await;
    assert!(meta.json["scopes_supported"].as_array().is_some());

    let (rejected, _) = registered(&app, &both).await;
    decide(&app, &rejected, false).await;
    assert_refused_everywhere(&app, &rejected, "rejected by an administrator").await;

    decide(&app, &pending, true).await;
    let page = app.page(&authorize_path(&pending)).await;
    assert_eq!(
        page.status, 200,
        "approved: the consent page shows: {}",
        page.body
    );
    assert_eq!(device_code(&app, &pending).await.status, 200);
}

#[tokio::test]
async fn a_decision_is_taken_once() {
    let app = spawn(RegistrationMode::Open).await;
    let (id, _) = registered(&app, &device_metadata()).await;
    decide(&app, &id, true).await;
    let err = authgate::domain::admin::decide_client(
        &authgate::domain::admin::Ctx::of(&app.core),
        &authgate::domain::admin::Actor::command_line(),
        &id,
        false,
        &[] as &[&str],
    )
    .await
    .expect_err("decided already");
    assert!(err.to_string().contains("not waiting"), "{err}");
    let client = app.core.store.find_client(&id).await.unwrap().unwrap();
    assert!(client.is_usable());
}

#[tokio::test]
async fn the_registration_access_token_opens_its_own_client_only() {
    let app = spawn(RegistrationMode::Open).await;
    let (mine, my_token) = registered(&app, &mcp_metadata()).await;
    let (theirs, their_token) = registered(&app, &mcp_metadata()).await;
    let reply = manage(&app, Method::GET, &mine, Some(&my_token), None).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["client_id"], mine.as_str());
    assert_eq!(
        reply.json["redirect_uris"],
        json!(["http://127.0.0.1:33418/callback"])
    );
    assert_eq!(reply.json["status"], "pending");
    for (id, token) in [
        (mine.as_str(), None),
        (mine.as_str(), Some("wrong")),
        (mine.as_str(), Some(their_token.as_str())),
        (theirs.as_str(), Some(my_token.as_str())),
        ("no-such-client", Some(my_token.as_str())),
    ] {
        for method in [Method::GET, Method::DELETE] {
            let reply = manage(&app, method.clone(), id, token, None).await;
            assert_eq!(
                reply.status, 401,
                "{method} {id} {token:?}: {:?}",
                reply.json
            );
            assert_eq!(reply.error(), "invalid_token");
        }
        let mut body = mcp_metadata();
        body["client_id"] = json!(id);
        let reply = manage(&app, Method::PUT, id, token, Some(&body)).await;
        assert_eq!(reply.status, 401, "PUT {id} {token:?}: {:?}", reply.json);
    }
    // The CLI client, made by an administrator, has no registration.
    let reply = manage(&app, Method::GET, &app.cli_client_id, Some(&my_token), None).await;
    assert_eq!(reply.status, 401);
    assert!(app.core.store.find_client(&theirs).await.unwrap().is_some());
}

#[tokio::test]
async fn a_security_relevant_update_sends_an_approved_client_back_to_pending() {
    let app = spawn(RegistrationMode::Open).await;
    let mut body = device_metadata();
    let (id, token) = registered(&app, &body).await;
    decide(&app, &id, true).await;
    assert_eq!(device_code(&app, &id).await.status, 200);

    // A new name and version: still approved.
    body["client_id"] = json!(id);
    body["client_name"] = json!("Kitchen TV");
    body["software_version"] = json!("2.0");
    let reply = manage(&app, Method::PUT, &id, Some(&token), Some(&body)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["status"], "approved");
    assert_eq!(reply.json["client_name"], "Kitchen TV");
    assert_eq!(device_code(&app, &id).await.status, 200);

    // Refused updates change nothing.
    let mut wrong_id = body.clone();
    wrong_id["client_id"] = json!("another");
    let reply = manage(&app, Method::PUT, &id, Some(&token), Some(&wrong_id)).await;
    assert_eq!(reply.error(), "invalid_client_metadata");
    let mut own_secret = body.clone();
    own_secret["client_secret"] = json!("chosen-by-the-client");
    let reply = manage(&app, Method::PUT, &id, Some(&token), Some(&own_secret)).await;
    assert_eq!(reply.error(), "invalid_client_metadata");
    let mut confidential = body.clone();
    confidential["token_endpoint_auth_method"] = json!("client_secret_post");
    let reply = manage(&app, Method::PUT, &id, Some(&token), Some(&confidential)).await;
    assert_eq!(reply.error(), "invalid_client_metadata");
    assert_eq!(device_code(&app, &id).await.status, 200);

    // A wider scope: back to pending, refused at once.
    body["scope"] = json!("read write");
    let reply = manage(&app, Method::PUT, &id, Some(&token), Some(&body)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["status"], "pending");
    assert_eq!(reply.json["scope"], "read write");
    let reply = device_code(&app, &id).await;
    assert_eq!(reply.error(), "invalid_client");
    decide(&app, &id, true).await;
    assert_eq!(device_code(&app, &id).await.status, 200);
}

#[tokio::test]
async fn deleting_a_registration_revokes_its_tokens() {
    let app = spawn(RegistrationMode::Open).await;
    let (id, token) = registered(&app, &device_metadata()).await;
    decide(&app, &id, true).await;
    let access = device_token(&app, &id).await;
    assert_eq!(app.tokeninfo(&access).await.status, 200);
    let reply = manage(&app, Method::DELETE, &id, Some(&token), None).await;
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(app.tokeninfo(&access).await.status, 401);
    assert!(app.core.store.find_client(&id).await.unwrap().is_none());
    assert_eq!(device_code(&app, &id).await.error(), "invalid_client");
    let reply = manage(&app, Method::GET, &id, Some(&token), None).await;
    assert_eq!(reply.status, 401, "the token died with its client");
}

/// An approval made on one instance is honoured by another at once, though
/// that one had the pending client in its cache (PostgreSQL only: one
/// SQLite file is not a multi-instance deployment).
#[tokio::test]
async fn an_approval_reaches_every_instance_at_once() {
    if backend() != "postgres" {
        return;
    }
    let db = TestDb::fresh().await;
    let clock = Arc::new(ManualClock::starting_now());
    let open = |c: &mut authgate::config::Config| c.registration.mode = RegistrationMode::Open;
    let a = TestApp::spawn_on(db.clone(), clock.clone(), open).await;
    let b = TestApp::spawn_on(db.clone(), clock.clone(), open).await;
    let (id, _) = registered(&a, &device_metadata()).await;
    assert_eq!(
        device_code(&b, &id).await.error(),
        "invalid_client",
        "b caches it pending"
    );
    decide(&a, &id, true).await;
    let mut status = 0;
    for _ in 0..50 {
        status = device_code(&b, &id).await.status;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 200, "b sees the approval");
}
