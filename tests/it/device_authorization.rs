//! `POST /oauth/device/code` (RFC 8628 §3.1–3.2).

use authgate::model::UserCode;
use authgate::store::NewClient;
use base64::Engine as _;

use crate::support::TestApp;

#[tokio::test]
async fn issues_codes_with_every_field() {
    let app = TestApp::spawn().await;
    let reply = app.device_code(Some("read")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let j = &reply.json;
    let device_code = j["device_code"].as_str().unwrap();
    assert!(device_code.len() >= 22, "at least 128 bits of randomness");
    let user_code = j["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert!(UserCode::parse(user_code).is_some());
    assert_eq!(j["verification_uri"], "http://localhost:8080/device");
    assert_eq!(
        j["verification_uri_complete"],
        format!("http://localhost:8080/device?user_code={user_code}")
    );
    assert_eq!(j["expires_in"].as_i64(), Some(1800));
    assert_eq!(j["interval"].as_i64(), Some(5));

    // Stored hashed, with the requester's address and User-Agent.
    let stored = app
        .core
        .store
        .find_device_code_by_user_code(&UserCode::parse(user_code).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.scope, "read");
    assert_eq!(stored.requester_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(stored.user_agent.as_deref(), Some("authgate-tests/1.0"));
    assert!(
        app.core
            .store
            .find_device_code_by_hash(device_code)
            .await
            .unwrap()
            .is_none(),
        "the raw device code is not a lookup key"
    );
}

/// What a client sends is stored exactly as sent, quotes, backslashes and
/// SQL included: the writer puts rows into its statements as literals on
/// PostgreSQL, so this is the test of that escaping there.
#[tokio::test]
async fn hostile_text_is_stored_as_sent() {
    let app = TestApp::spawn().await;
    let agents = [
        r"O'Brien\'); DROP TABLE device_codes; -- \",
        r#"$1 $$ $q$ E'\x00' \' '' " \\"#,
        r"\u0041 \n \\ \",
    ];
    for agent in agents {
        let resp = app
            .http
            .post(app.url("/oauth/device/code"))
            .header("user-agent", agent)
            .form(&[("client_id", app.cli_client_id.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{agent}");
        let json: serde_json::Value = resp.json().await.unwrap();
        let user_code = UserCode::parse(json["user_code"].as_str().unwrap()).unwrap();
        let stored = app
            .core
            .store
            .find_device_code_by_user_code(&user_code)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.user_agent.as_deref(), Some(agent));
    }
}

#[tokio::test]
async fn scope_defaults_to_everything_the_client_may_have() {
    let app = TestApp::spawn().await;
    let reply = app.device_code(None).await;
    assert_eq!(reply.status, 200);
    let code = UserCode::parse(reply.json["user_code"].as_str().unwrap()).unwrap();
    let stored = app
        .core
        .store
        .find_device_code_by_user_code(&code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.scope, "read write");
}

#[tokio::test]
async fn user_codes_are_unique_and_random() {
    let app = TestApp::spawn().await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let (_, user_code) = app.start_flow().await;
        assert!(seen.insert(user_code));
    }
}

#[tokio::test]
async fn rejects_bad_requests_with_rfc_errors() {
    let app = TestApp::spawn().await;

    let r = app.post_form("/oauth/device/code", &[]).await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
    assert!(
        r.json["error_description"]
            .as_str()
            .unwrap()
            .contains("client_id")
    );

    let r = app
        .post_form("/oauth/device/code", &[("client_id", "nope")])
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_client"));

    let r = app.device_code(Some("admin")).await;
    assert_eq!((r.status, r.error()), (400, "invalid_scope"));

    let r = app.device_code(Some("read \"quoted\"")).await;
    assert_eq!((r.status, r.error()), (400, "invalid_scope"));

    // Repeated parameters are refused (RFC 6749 §3.1).
    let body = format!("client_id={0}&client_id={0}", app.cli_client_id);
    let resp = app
        .http
        .post(app.url("/oauth/device/code"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let r = TestApp::reply(resp).await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));

    // JSON is not a form.
    let resp = app
        .http
        .post(app.url("/oauth/device/code"))
        .json(&serde_json::json!({ "client_id": app.cli_client_id }))
        .send()
        .await
        .unwrap();
    let r = TestApp::reply(resp).await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));

    // Invalid UTF-8 and oversized bodies are client errors, not crashes.
    let resp = app
        .http
        .post(app.url("/oauth/device/code"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'c', b'=', 0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = app
        .http
        .post(app.url("/oauth/device/code"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "client_id={}&scope={}",
            app.cli_client_id,
            "a".repeat(200_000)
        ))
        .send()
        .await
        .unwrap();
    let r = TestApp::reply(resp).await;
    assert_eq!((r.status, r.error()), (413, "invalid_request"));

    let r = app
        .post_form(
            "/oauth/device/code",
            &[
                ("client_id", &app.cli_client_id),
                ("scope", &"s".repeat(2000)),
            ],
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
}

#[tokio::test]
async fn unknown_client_over_basic_gets_a_401_challenge() {
    let app = TestApp::spawn().await;
    let resp = app
        .http
        .post(app.url("/oauth/device/code"))
        .basic_auth("nope", Some(""))
        .form(&[("scope", "read")])
        .send()
        .await
        .unwrap();
    let r = TestApp::reply(resp).await;
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
    assert!(r.header("www-authenticate").unwrap().starts_with("Basic"));
}

#[tokio::test]
async fn basic_auth_is_url_decoded_and_may_repeat_the_body_client_id() {
    let app = TestApp::spawn().await;
    app.core
        .store
        .insert_client(&NewClient {
            keys: None,
            id: "tv app:1".into(),
            name: "TV".into(),
            secret_hash: None,
            allowed_scopes: "read".into(),
            refresh_tokens: true,
            grant_types: authgate::model::client::GrantTypes::default_for(true, false),
            now: 0,
        })
        .await
        .unwrap();
    // RFC 6749 §2.3.1: "tv app:1" is form-encoded as "tv+app%3A1".
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("tv+app%3A1:")
    );
    let resp = app
        .http
        .post(app.url("/oauth/device/code"))
        .header("authorization", &header)
        .form(&[("client_id", "tv app:1")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let resp = app
        .http
        .post(app.url("/oauth/device/code"))
        .header("authorization", &header)
        .form(&[("client_id", "someone else")])
        .send()
        .await
        .unwrap();
    let r = TestApp::reply(resp).await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));

    let resp = app
        .http
        .post(app.url("/oauth/device/code"))
        .header("authorization", "Basic %%%")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn confidential_clients_must_authenticate() {
    let app = TestApp::spawn().await;
    app.core
        .store
        .insert_client(&NewClient {
            keys: None,
            id: "svc".into(),
            name: "Service".into(),
            secret_hash: Some(authgate::crypto::hash_secret("s3cret-value")),
            allowed_scopes: "read".into(),
            refresh_tokens: true,
            grant_types: authgate::model::client::GrantTypes::default_for(true, false),
            now: 0,
        })
        .await
        .unwrap();
    let r = app
        .post_form("/oauth/device/code", &[("client_id", "svc")])
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_client"));
    let r = app
        .post_form(
            "/oauth/device/code",
            &[("client_id", "svc"), ("client_secret", "wrong")],
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_client"));
    let r = app
        .post_form(
            "/oauth/device/code",
            &[("client_id", "svc"), ("client_secret", "s3cret-value")],
        )
        .await;
    assert_eq!(r.status, 200);
    let resp = app
        .http
        .post(app.url("/oauth/device/code"))
        .basic_auth("svc", Some("s3cret-value"))
        .form(&[("scope", "read")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // A public client presenting a secret is refused.
    let r = app
        .post_form(
            "/oauth/device/code",
            &[("client_id", &app.cli_client_id), ("client_secret", "x")],
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_client"));
}

#[tokio::test]
async fn device_code_requests_are_rate_limited_per_address() {
    let app = TestApp::spawn_with(|c| c.rate_limit_device_code = 3).await;
    for _ in 0..3 {
        assert_eq!(app.device_code(None).await.status, 200);
    }
    let r = app.device_code(None).await;
    assert_eq!((r.status, r.error()), (429, "temporarily_unavailable"));
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
}
