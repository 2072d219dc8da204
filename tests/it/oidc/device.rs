//! The device grant with OpenID Connect and PKCE: an ID token whose
//! auth_time is when the approving person signed in; an optional S256
//! challenge with the device request, whose verifier the redemption must
//! carry (RFC 7636 on RFC 8628).

use authgate::clock::Clock;

use super::{CHALLENGE, RP, VERIFIER, spawn, verified};
use crate::support::{Reply, TestApp};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn request(app: &TestApp, extra: &[(&str, &str)]) -> Reply {
    let mut form = vec![("client_id", RP), ("scope", "openid email")];
    form.extend_from_slice(extra);
    app.post_form("/oauth/device/code", &form).await
}

/// Approves `user_code` in the signed-in browser, as a person does.
async fn approve(app: &TestApp, user_code: &str) {
    let csrf = app.page("/device").await.csrf();
    let done = app.decide_in_browser(&csrf, user_code, "approve").await;
    assert_eq!(done.status, 303, "{}", done.body);
}

async fn poll(app: &TestApp, device_code: &str, verifier: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", DEVICE_GRANT),
        ("device_code", device_code),
        ("client_id", RP),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    app.post_form("/oauth/token", &form).await
}

fn codes(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    (
        reply.json["device_code"].as_str().unwrap().to_owned(),
        reply.json["user_code"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn an_approved_device_gets_an_id_token_with_the_approvers_sign_in_time() {
    let app = spawn().await;
    app.sign_in().await;
    let signed_in_at = app.clock.now_secs();
    app.advance(300);
    let (device_code, user_code) = codes(&request(&app, &[]).await);
    approve(&app, &user_code).await;
    app.advance(7);
    let reply = poll(&app, &device_code, None).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let claims = verified(&app, reply.json["id_token"].as_str().unwrap(), RP).await;
    assert_eq!(claims["sub"], app.admin_id.as_str());
    assert_eq!(claims["auth_time"].as_i64().unwrap(), signed_in_at);
    assert_eq!(claims["email"], "admin@example.com");
    assert!(claims.get("nonce").is_none());
    assert_eq!(
        claims["at_hash"],
        super::at_hash_sha256(reply.json["access_token"].as_str().unwrap())
    );
    // And its refresh keeps the approver's auth_time.
    let refreshed = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    reply.json["refresh_token"].as_str().unwrap(),
                ),
                ("client_id", RP),
            ],
        )
        .await;
    let claims = verified(&app, refreshed.json["id_token"].as_str().unwrap(), RP).await;
    assert_eq!(claims["auth_time"].as_i64().unwrap(), signed_in_at);

    // Without openid: no ID token.
    let (device_code, user_code) = codes(
        &app.post_form(
            "/oauth/device/code",
            &[("client_id", RP), ("scope", "read")],
        )
        .await,
    );
    approve(&app, &user_code).await;
    let plain = poll(&app, &device_code, None).await;
    assert_eq!(plain.status, 200);
    assert!(plain.json.get("id_token").is_none());
}

#[tokio::test]
async fn a_device_request_with_pkce_is_redeemed_only_with_its_verifier() {
    let app = spawn().await;
    app.sign_in().await;
    let with_pkce = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let (device_code, user_code) = codes(&request(&app, &with_pkce).await);
    // Pending: the verifier changes nothing yet.
    assert_eq!(
        poll(&app, &device_code, Some(VERIFIER)).await.error(),
        "authorization_pending"
    );
    approve(&app, &user_code).await;
    app.advance(10);
    let missing = poll(&app, &device_code, None).await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.error(), "invalid_grant");
    app.advance(10);
    let wrong = poll(
        &app,
        &device_code,
        Some("wrong-verifier-wrong-verifier-wrong-verifier-0"),
    )
    .await;
    assert_eq!(wrong.error(), "invalid_grant");
    // The refusals left the approval for the device that holds the verifier.
    app.advance(10);
    let right = poll(&app, &device_code, Some(VERIFIER)).await;
    assert_eq!(right.status, 200, "{:?}", right.json);
    assert!(right.json["id_token"].is_string());
    app.advance(10);
    assert_eq!(
        poll(&app, &device_code, Some(VERIFIER)).await.error(),
        "invalid_grant",
        "once"
    );

    // A code issued without a challenge refuses a verifier (no PKCE
    // downgrade either way).
    let (device_code, user_code) = codes(&request(&app, &[]).await);
    approve(&app, &user_code).await;
    assert_eq!(
        poll(&app, &device_code, Some(VERIFIER)).await.error(),
        "invalid_grant"
    );
    app.advance(10);
    assert_eq!(poll(&app, &device_code, None).await.status, 200);
}

#[tokio::test]
async fn malformed_or_plain_challenges_are_refused() {
    let app = spawn().await;
    for extra in [
        vec![
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "plain"),
        ],
        vec![("code_challenge", CHALLENGE)],
        vec![("code_challenge_method", "S256")],
        vec![
            ("code_challenge", "too-short"),
            ("code_challenge_method", "S256"),
        ],
    ] {
        let reply = request(&app, &extra).await;
        assert_eq!(reply.status, 400, "{extra:?}");
        assert_eq!(reply.error(), "invalid_request", "{extra:?}");
    }
}
