//! Registrations refused: off, the initial access token, redirect URIs,
//! scopes, inconsistent metadata, keys, bounds, the pending ceiling and
//! the per-address limit.

use authgate::cli::RegistrationMode;
use serde_json::json;

use super::{INITIAL_TOKEN, device_metadata, mcp_metadata, register, spawn, spawn_with};
use crate::support::TestApp;

#[tokio::test]
async fn off_by_default_the_endpoint_is_404_and_discovery_does_not_name_it() {
    let app = TestApp::spawn().await;
    let reply = register(&app, &mcp_metadata(), None).await;
    assert_eq!(reply.status, 404);
    let reply = app.get("/oauth/register/some-client").await;
    assert_eq!(reply.status, 404);
    let metadata = app.get("/.well-known/oauth-authorization-server").await;
    assert!(metadata.json.get("registration_endpoint").is_none());

    let app = spawn(RegistrationMode::Open).await;
    let metadata = app.get("/.well-known/openid-configuration").await;
    assert_eq!(
        metadata.json["registration_endpoint"],
        "http://localhost:8080/oauth/register"
    );
}

#[tokio::test]
async fn token_mode_wants_the_initial_access_token() {
    let app = spawn(RegistrationMode::Token).await;
    for token in [None, Some("k3Jd9sLq2Vx8Tz4Wm7PnR6"), Some("")] {
        let reply = register(&app, &mcp_metadata(), token).await;
        assert_eq!(reply.status, 401, "{token:?}: {:?}", reply.json);
        assert_eq!(reply.error(), "invalid_token");
        assert!(
            reply
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer")
        );
    }
    assert_eq!(app.core.store.count_pending_clients().await.unwrap(), 0);
    let reply = register(&app, &mcp_metadata(), Some(INITIAL_TOKEN)).await;
    assert_eq!(reply.status, 201, "{:?}", reply.json);
    assert_eq!(reply.json["status"], "pending");
    assert_eq!(reply.json["client_secret_expires_at"], 0);
    assert!(reply.json.get("client_secret").is_none(), "public client");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn each_bad_metadata_is_refused_with_its_rfc_error() {
    // Refused attempts count against the per-address limit too: off here.
    let app = spawn_with(RegistrationMode::Open, |c| c.registration.per_hour = 0).await;
    let with = |key: &str, value: serde_json::Value| {
        let mut body = mcp_metadata();
        body[key] = value;
        body
    };
    let cases = [
        (
            with("redirect_uris", json!(["http://app.example/cb"])),
            "invalid_redirect_uri",
            "https",
        ),
        (
            with("redirect_uris", json!(["https://app.example/cb#frag"])),
            "invalid_redirect_uri",
            "fragment",
        ),
        (
            with("redirect_uris", json!(["myapp:/cb"])),
            "invalid_redirect_uri",
            "https",
        ),
        (
            with("redirect_uris", json!([])),
            "invalid_redirect_uri",
            "authorization_code",
        ),
        (
            with(
                "redirect_uris",
                json!(
                    (0..11)
                        .map(|i| format!("https://a.example/{i}"))
                        .collect::<Vec<_>>()
                ),
            ),
            "invalid_redirect_uri",
            "at most 10",
        ),
        (
            with("scope", json!("read admin")),
            "invalid_client_metadata",
            "\"admin\"",
        ),
        (
            with("response_types", json!(["token"])),
            "invalid_client_metadata",
            "response type",
        ),
        (
            with("response_types", json!([])),
            "invalid_client_metadata",
            "needs response type code",
        ),
        (
            with("grant_types", json!(["implicit"])),
            "invalid_client_metadata",
            "not supported",
        ),
        (
            with("grant_types", json!(["client_credentials"])),
            "invalid_client_metadata",
            "response type code needs",
        ),
        (
            with("token_endpoint_auth_method", json!("private_key_jwt")),
            "invalid_client_metadata",
            "jwks or jwks_uri",
        ),
        (
            with("token_endpoint_auth_method", json!("tls_client_auth")),
            "invalid_client_metadata",
            "not supported",
        ),
        (
            with("jwks_uri", json!("https://agent.example/jwks")),
            "invalid_client_metadata",
            "only for",
        ),
        (
            with("client_name", json!("x".repeat(101))),
            "invalid_client_metadata",
            "at most 100",
        ),
        (
            with("client_name", json!("bad\u{7}name")),
            "invalid_client_metadata",
            "control",
        ),
        (
            with("client_uri", json!("javascript:alert(1)")),
            "invalid_client_metadata",
            "client_uri",
        ),
        (
            with(
                "contacts",
                json!(["a@x", "b@x", "c@x", "d@x", "e@x", "f@x"]),
            ),
            "invalid_client_metadata",
            "at most 5",
        ),
        (
            with("redirect_uris", json!("https://a.example/cb")),
            "invalid_client_metadata",
            "redirect_uris",
        ),
    ];
    for (body, error, says) in cases {
        let reply = register(&app, &body, None).await;
        assert_eq!(reply.status, 400, "{body}: {:?}", reply.json);
        assert_eq!(reply.error(), error, "{body}: {:?}", reply.json);
        let description = reply.json["error_description"].as_str().unwrap();
        assert!(description.contains(says), "{description} lacks {says}");
    }
    // A private_key_jwt client with a malformed JWK Set, and one with a
    // jwks_uri that is not https.
    let mut body = mcp_metadata();
    body["token_endpoint_auth_method"] = json!("private_key_jwt");
    body["jwks"] = json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]});
    let reply = register(&app, &body, None).await;
    assert_eq!(reply.error(), "invalid_client_metadata", "{:?}", reply.json);
    body["jwks"] = serde_json::Value::Null;
    body["jwks_uri"] = json!("http://keys.example/jwks");
    let reply = register(&app, &body, None).await;
    assert_eq!(reply.error(), "invalid_client_metadata", "{:?}", reply.json);
    // Not JSON, the wrong content type, too large.
    let resp = app
        .http
        .post(app.url("/oauth/register"))
        .header("content-type", "application/json")
        .body("{\"redirect_uris\": [")
        .send()
        .await
        .unwrap();
    let reply = TestApp::reply(resp).await;
    assert_eq!(reply.error(), "invalid_client_metadata");
    let reply = app
        .post_form("/oauth/register", &[("client_name", "x")])
        .await;
    assert_eq!((reply.status, reply.error()), (400, "invalid_request"));
    let reply = register(&app, &with("software_id", json!("x".repeat(20_000))), None).await;
    assert_eq!(reply.status, 413);
    assert_eq!(
        app.core.store.count_pending_clients().await.unwrap(),
        0,
        "nothing stored"
    );
}

#[tokio::test]
async fn a_confidential_client_gets_a_secret_once_stored_hashed() {
    let app = spawn(RegistrationMode::Open).await;
    let mut body = mcp_metadata();
    body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let reply = register(&app, &body, None).await;
    assert_eq!(reply.status, 201, "{:?}", reply.json);
    let secret = reply.json["client_secret"].as_str().unwrap();
    let id = reply.json["client_id"].as_str().unwrap();
    let client = app.core.store.find_client(id).await.unwrap().unwrap();
    assert_eq!(
        client.secret_hash.as_deref(),
        Some(authgate::crypto::hash_secret(secret).as_str())
    );
    assert_eq!(reply.json["client_name"], "Agent");
    assert_eq!(reply.json["software_version"], "1.2.3");
    assert_eq!(
        reply.json["registration_client_uri"],
        format!("http://localhost:8080/oauth/register/{id}")
    );
}

#[tokio::test]
async fn a_full_waiting_room_refuses_until_an_administrator_decides() {
    let app = spawn_with(RegistrationMode::Open, |c| c.registration.max_pending = 2).await;
    let (first, _) = super::registered(&app, &device_metadata()).await;
    super::registered(&app, &device_metadata()).await;
    let reply = register(&app, &device_metadata(), None).await;
    assert_eq!(reply.status, 429, "{:?}", reply.json);
    assert_eq!(reply.error(), "temporarily_unavailable");
    assert!(
        reply.json["error_description"]
            .as_str()
            .unwrap()
            .contains("waiting for an administrator")
    );
    assert!(reply.header("retry-after").is_some());
    super::decide(&app, &first, false).await;
    let reply = register(&app, &device_metadata(), None).await;
    assert_eq!(reply.status, 201, "room again: {:?}", reply.json);
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let app = spawn_with(RegistrationMode::Open, |c| c.registration.per_hour = 2).await;
    for _ in 0..2 {
        assert_eq!(register(&app, &device_metadata(), None).await.status, 201);
    }
    let reply = register(&app, &device_metadata(), None).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.error(), "temporarily_unavailable");
    assert!(reply.header("retry-after").is_some());
}
