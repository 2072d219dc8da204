//! `POST /oauth/token` with the device-code grant (RFC 8628 §3.4–3.5).

use std::collections::HashSet;

use authgate::crypto::jwt::AccessClaims;
use authgate::model::Decision;
use authgate::store::NewClient;
use base64::Engine as _;

use crate::support::{DEVICE_GRANT, TestApp};

#[tokio::test]
async fn pending_then_approved_yields_a_jwt() {
    let app = TestApp::spawn().await;
    let (device_code, user_code) = app.start_flow().await;

    let r = app.poll(&device_code).await;
    assert_eq!((r.status, r.error()), (400, "authorization_pending"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(r.json["error_description"].is_string());

    app.approve(&user_code.to_lowercase()).await;
    let r = app.poll(&device_code).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["expires_in"].as_i64(), Some(3600));
    assert_eq!(r.json["scope"], "read write");

    let token = r.json["access_token"].as_str().unwrap();
    let claims = app.core.signer.verify(token).unwrap();
    let AccessClaims {
        iss,
        sub,
        aud,
        client_id,
        scope,
        iat,
        exp,
        jti,
        cnf,
    } = claims;
    assert_eq!(cnf, None, "a bearer token names no key");
    assert_eq!(iss, "http://localhost:8080");
    assert_eq!(aud.values(), ["http://localhost:8080"]);
    assert_eq!(sub, app.admin_id);
    assert_eq!(client_id, app.cli_client_id);
    assert_eq!(scope, "read write");
    assert_eq!(exp - iat, 3600);
    assert!(
        app.core
            .store
            .find_access_token(&jti)
            .await
            .unwrap()
            .is_some(),
        "recorded by jti"
    );
    let header = token.split('.').next().unwrap();
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    assert_eq!(header["alg"], "ES256", "asymmetric by default");
    assert!(header["kid"].as_str().unwrap().starts_with("es256-"));
    assert!(
        r.json["refresh_token"].as_str().unwrap().len() >= 43,
        "a refresh token comes along"
    );
}

#[tokio::test]
async fn polling_too_fast_slows_down_by_five_seconds() {
    let app = TestApp::spawn().await;
    let (device_code, _) = app.start_flow().await;

    // First poll is never throttled; one immediate repeat is tolerated.
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending"
    );
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending"
    );
    // A third request in the same tick is too fast.
    let r = app.poll(&device_code).await;
    assert_eq!((r.status, r.error()), (400, "slow_down"));
    assert_eq!(r.json["interval"].as_i64(), Some(10));

    // The interval is now 10 s for this code: 5 s later is still too fast...
    app.advance(5);
    let r = app.poll(&device_code).await;
    assert_eq!(r.error(), "slow_down");
    assert_eq!(r.json["interval"].as_i64(), Some(15));
    // ...and a client that honours the new interval is fine.
    app.advance(15);
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending"
    );
    app.advance(14);
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending",
        "about a second of jitter is tolerated"
    );
}

#[tokio::test]
async fn polite_polling_never_slows_down() {
    let app = TestApp::spawn().await;
    let (device_code, _) = app.start_flow().await;
    for _ in 0..10 {
        assert_eq!(
            app.poll(&device_code).await.error(),
            "authorization_pending"
        );
        app.advance(5);
    }
}

/// Go's x/oauth2 sends each poll twice back to back (HTTP Basic first,
/// then form parameters) until it learns the auth style; that must not
/// escalate into endless slow_down.
#[tokio::test]
async fn go_style_double_poll_each_tick_is_tolerated() {
    let app = TestApp::spawn().await;
    let (device_code, user_code) = app.start_flow().await;
    for _ in 0..5 {
        let resp = app
            .http
            .post(app.url("/oauth/token"))
            .basic_auth(&app.cli_client_id, Some(""))
            .form(&[("grant_type", DEVICE_GRANT), ("device_code", &device_code)])
            .send()
            .await
            .unwrap();
        let r = TestApp::reply(resp).await;
        assert_eq!(r.error(), "authorization_pending");
        assert_eq!(
            app.poll(&device_code).await.error(),
            "authorization_pending"
        );
        app.advance(5);
    }
    app.approve(&user_code).await;
    let resp = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&app.cli_client_id, Some(""))
        .form(&[("grant_type", DEVICE_GRANT), ("device_code", &device_code)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn denial_reaches_the_device_as_access_denied() {
    let app = TestApp::spawn().await;
    let (device_code, user_code) = app.start_flow().await;
    app.decide(&user_code, Decision::Deny).await;
    let r = app.poll(&device_code).await;
    assert_eq!((r.status, r.error()), (400, "access_denied"));
    app.advance(3600);
    assert_eq!(app.poll(&device_code).await.error(), "access_denied");
}

#[tokio::test]
async fn expired_codes_answer_expired_token_for_a_while() {
    let app = TestApp::spawn_with(|c| c.device_code_ttl = std::time::Duration::from_secs(60)).await;
    let (device_code, user_code) = app.start_flow().await;
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending"
    );
    app.advance(60);
    let r = app.poll(&device_code).await;
    assert_eq!((r.status, r.error()), (400, "expired_token"));
    // Approval is no longer possible...
    let err = authgate::domain::device_flow::decide(
        &app.core,
        &app.admin_id,
        &user_code,
        Decision::Approve,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, authgate::domain::Error::ExpiredUserCode));
    // ...and the answer stays expired_token hours later.
    app.advance(6 * 3600);
    assert_eq!(app.poll(&device_code).await.error(), "expired_token");
}

#[tokio::test]
async fn approved_but_unredeemed_code_expires_too() {
    let app = TestApp::spawn_with(|c| c.device_code_ttl = std::time::Duration::from_secs(60)).await;
    let (device_code, user_code) = app.start_flow().await;
    app.approve(&user_code).await;
    app.advance(61);
    assert_eq!(app.poll(&device_code).await.error(), "expired_token");
}

#[tokio::test]
async fn unknown_foreign_and_malformed_requests() {
    let app = TestApp::spawn().await;
    let r = app.poll("not-a-real-device-code").await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));

    // A code belongs to the client it was issued to.
    app.core
        .store
        .insert_client(&NewClient {
            keys: None,
            id: "other".into(),
            name: "Other".into(),
            secret_hash: None,
            allowed_scopes: "read".into(),
            refresh_tokens: true,
            grant_types: authgate::model::client::GrantTypes::default_for(true, false),
            now: 0,
        })
        .await
        .unwrap();
    let (device_code, _) = app.start_flow().await;
    let r = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", &device_code),
                ("client_id", "other"),
            ],
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));

    let r = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", &device_code),
                ("client_id", "ghost"),
            ],
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_client"));

    let r = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "password"),
                ("client_id", &app.cli_client_id),
            ],
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "unsupported_grant_type"));

    let r = app
        .post_form("/oauth/token", &[("client_id", &app.cli_client_id)])
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));

    let r = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", DEVICE_GRANT),
                ("client_id", &app.cli_client_id),
            ],
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
    assert!(
        r.json["error_description"]
            .as_str()
            .unwrap()
            .contains("device_code")
    );

    let r = app
        .post_form(
            "/oauth/token",
            &[("grant_type", DEVICE_GRANT), ("device_code", &device_code)],
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));

    let resp = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth("ghost", Some(""))
        .form(&[("grant_type", DEVICE_GRANT), ("device_code", &device_code)])
        .send()
        .await
        .unwrap();
    let r = TestApp::reply(resp).await;
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
    assert!(r.header("www-authenticate").is_some());
}

#[tokio::test]
async fn a_repeated_scope_on_the_token_request_is_accepted() {
    let app = TestApp::spawn().await;
    let (device_code, user_code) = app.start_flow().await;
    app.approve(&user_code).await;
    let r = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", &device_code),
                ("client_id", &app.cli_client_id),
                ("scope", "read write"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["scope"], "read write");
}

#[tokio::test]
async fn replayed_code_is_refused_and_revokes_its_token() {
    let app = TestApp::spawn().await;
    let (device_code, user_code) = app.start_flow().await;
    app.approve(&user_code).await;
    let r = app.poll(&device_code).await;
    assert_eq!(r.status, 200);
    let token = r.json["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.tokeninfo(&token).await.status, 200);

    let r = app.poll(&device_code).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    let r = app.tokeninfo(&token).await;
    assert_eq!((r.status, r.error()), (401, "invalid_token"));
}

#[tokio::test]
async fn concurrent_redemption_yields_exactly_one_token() {
    let app = TestApp::spawn().await;
    for _round in 0..3 {
        let (device_code, user_code) = app.start_flow().await;
        app.approve(&user_code).await;
        let polls = (0..24).map(|_| app.poll(&device_code));
        let replies = futures::future::join_all(polls).await;
        let tokens: HashSet<String> = replies
            .iter()
            .filter(|r| r.status == 200)
            .map(|r| r.json["access_token"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(tokens.len(), 1, "exactly one winner");
        assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 1);
        for r in replies.iter().filter(|r| r.status != 200) {
            assert_eq!(
                (r.status, r.error()),
                (400, "invalid_grant"),
                "{:?}",
                r.json
            );
        }
    }
}

/// Codes are stored under their issue time and hash (so the index takes new
/// ones at its end). A code stored the earlier way, under its bare hash,
/// which is how every code live at an upgrade was stored, still redeems.
#[tokio::test]
async fn a_code_stored_under_its_bare_hash_still_redeems() {
    use authgate::model::UserCode;
    use authgate::model::time::UnixSecs;

    let app = TestApp::spawn().await;
    let (fresh, _) = app.start_flow().await;
    assert_ne!(
        authgate::crypto::device_code::key(&fresh),
        authgate::crypto::hash_secret(&fresh),
        "a fresh code is stored under its prefix"
    );
    let legacy = app.core.random.token(32);
    let user_code = UserCode::parse("BCDF-GHJK").unwrap();
    let now = app.core.clock.now_secs();
    let row = authgate::store::NewDeviceCode {
        id: app.core.random.ordered_id(app.core.clock.now_ms()).into(),
        device_code_hash: authgate::crypto::hash_secret(&legacy),
        user_code: user_code.clone(),
        client_id: app.cli_client_id.clone().into(),
        scope: "read".into(),
        interval_secs: 5,
        requester_ip: None,
        user_agent: None,
        created_at: UnixSecs(now),
        expires_at: UnixSecs(now + 600),
        code_challenge: None,
        resources: Vec::new(),
    };
    app.core
        .store
        .issue_device_code(&row, app.core.clock.now_ms())
        .await
        .unwrap();
    let r = app.poll(&legacy).await;
    assert_eq!((r.status, r.error()), (400, "authorization_pending"));
    app.approve(&user_code.display()).await;
    let r = app.poll(&legacy).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["scope"], "read");
}
