//! OpenID Connect RP-Initiated Logout 1.0 at `/oauth/logout`: a valid
//! `id_token_hint` signs the person out at once, anything else asks first;
//! only a registered post-logout URI is followed; the app's tokens end and
//! the person's other clients keep theirs.

use authgate::model::audit::AuditAction;
use serde_json::json;

use super::{APP, ISSUER, VERIFIER, answer, consent, exchange, params, request, spawn};
use crate::support::{Page, TestApp};

const BYE: &str = "https://app.example/bye";

/// An ID token for `sub` at `aud`, signed by the server's key ring as the
/// server's own ID tokens are (iss, sub, aud, exp, iat). The one place
/// the tests make one: swap it for a real ID token when the token endpoint
/// issues them.
fn id_token(app: &TestApp, sub: &str, aud: serde_json::Value, exp: i64) -> String {
    let now = app.core.clock.now_secs();
    app.core
        .signer
        .ring()
        .sign(&json!({"iss": ISSUER, "sub": sub, "aud": aud, "exp": exp, "iat": now - 10}))
        .unwrap()
}

/// Signs in, approves the app and redeems the code: its refresh token.
async fn signed_in_app(app: &TestApp) -> String {
    app.core
        .store
        .set_client_post_logout_redirect_uris(APP, &[BYE.into()])
        .await
        .unwrap();
    app.sign_in().await;
    let page = consent(app, &request()).await;
    let location = answer(app, &page, "approve").await;
    let reply = exchange(app, &params(&location)["code"], Some(VERIFIER)).await;
    assert_eq!(reply.status, 200);
    reply.json["refresh_token"].as_str().unwrap().to_owned()
}

async fn refresh_status(app: &TestApp, refresh: &str) -> (u16, String) {
    let r = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", APP),
            ],
        )
        .await;
    let error = r.error().to_owned();
    (r.status, error)
}

fn logout_path(pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.extend_pairs(pairs);
    format!("/oauth/logout?{}", q.finish())
}

async fn signed_in(app: &TestApp) -> bool {
    app.page("/account").await.status == 200
}

fn hint_for_admin(app: &TestApp, exp: i64) -> String {
    id_token(app, &app.admin_id, json!(APP), exp)
}

#[tokio::test]
async fn a_valid_hint_signs_out_at_once_and_returns_with_state() {
    let app = spawn().await;
    let device = app.issue_tokens().await;
    let refresh = signed_in_app(&app).await;
    // Expired an hour ago: still a good hint.
    let hint = hint_for_admin(&app, app.core.clock.now_secs() - 3600);
    let page = app
        .page(&logout_path(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", BYE),
            ("state", "s t"),
            ("ui_locales", "fr"),
        ]))
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location(), Some("https://app.example/bye?state=s+t"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(!signed_in(&app).await, "the browser session ended");
    assert_eq!(refresh_status(&app, &refresh).await.1, "invalid_grant");
    // The CLI's device token (another client) still works.
    assert_eq!(app.tokeninfo(&device.access).await.status, 200);
    assert_eq!(app.refresh(&device.refresh, None).await.status, 200);
    let events = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::SignedOutByApp), 5)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].client_id.as_deref(), Some(APP));
}

#[tokio::test]
async fn without_a_hint_the_person_confirms_first() {
    let app = spawn().await;
    let refresh = signed_in_app(&app).await;
    let path = logout_path(&[
        ("client_id", APP),
        ("post_logout_redirect_uri", BYE),
        ("state", "xyz"),
    ]);
    let page = app.page(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Sign out?"));
    assert!(page.body.contains("Client web-app"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("form-action 'self' https://app.example;"),
        "{csp}"
    );
    assert!(signed_in(&app).await, "a GET alone signs nobody out");
    assert_eq!(refresh_status(&app, &refresh).await.0, 200);
    // A forged confirmation is refused.
    let forged = app
        .submit(
            "/oauth/logout",
            &[
                ("csrf_token", "forged"),
                ("confirm", "1"),
                ("client_id", APP),
            ],
            false,
        )
        .await;
    assert_eq!(forged.status, 403);
    // A cross-site POST without the token asks again.
    let posted = app
        .submit("/oauth/logout", &[("client_id", APP)], false)
        .await;
    assert_eq!(posted.status, 200);
    assert!(posted.body.contains("Sign out?"));
    assert!(signed_in(&app).await);

    let done = confirm(&app, &page).await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location(), Some("https://app.example/bye?state=xyz"));
    assert!(!signed_in(&app).await);
}

/// Posts the confirmation form of `page` as the browser would.
async fn confirm(app: &TestApp, page: &Page) -> Page {
    let mut form = vec![
        ("csrf_token".to_owned(), page.csrf()),
        ("confirm".into(), "1".into()),
    ];
    for name in [
        "client_id",
        "post_logout_redirect_uri",
        "state",
        "id_token_hint",
    ] {
        if let Some(value) = crate::support::hidden_field(&page.body, name) {
            form.push((name.to_owned(), value.replace("&amp;", "&")));
        }
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.submit("/oauth/logout", &form, false).await
}

#[tokio::test]
async fn an_unregistered_return_address_is_not_followed() {
    let app = spawn().await;
    signed_in_app(&app).await;
    let hint = hint_for_admin(&app, app.core.clock.now_secs() + 60);
    for uri in [
        "https://evil.example/bye",
        "https://app.example/bye/",
        "https://app.example/callback",
    ] {
        let page = app
            .page(&logout_path(&[
                ("id_token_hint", &hint),
                ("post_logout_redirect_uri", uri),
            ]))
            .await;
        assert_eq!(page.status, 200, "{uri}");
        assert!(page.location().is_none());
        assert!(page.body.contains("You are signed out"));
        assert!(!signed_in(&app).await);
        app.sign_in().await;
    }
}

#[tokio::test]
async fn bad_hints_and_clients_get_an_error_page_and_sign_nobody_out() {
    let app = spawn().await;
    signed_in_app(&app).await;
    let now = app.core.clock.now_secs();
    let good = hint_for_admin(&app, now + 60);
    // Signed by another key.
    let forged = authgate::crypto::jwt::TokenSigner::hs256(
        b"another-secret-another-secret-xx",
        ISSUER,
        ISSUER,
    )
    .ring()
    .sign(&json!({"iss": ISSUER, "sub": app.admin_id, "aud": APP, "exp": now + 60, "iat": now}))
    .unwrap();
    let other_issuer = app
        .core
        .signer
        .ring()
        .sign(&json!({"iss": "https://elsewhere.example", "sub": app.admin_id, "aud": APP, "exp": now + 60, "iat": now}))
        .unwrap();
    let two_auds = id_token(&app, &app.admin_id, json!([APP, "cli"]), now + 60);
    let unknown_aud = id_token(&app, &app.admin_id, json!("nope"), now + 60);
    for (what, pairs) in [
        ("forged", vec![("id_token_hint", forged.as_str())]),
        (
            "other issuer",
            vec![("id_token_hint", other_issuer.as_str())],
        ),
        ("not a JWT", vec![("id_token_hint", "abc.def.ghi")]),
        ("two audiences", vec![("id_token_hint", two_auds.as_str())]),
        (
            "unknown audience",
            vec![("id_token_hint", unknown_aud.as_str())],
        ),
        (
            "client mismatch",
            vec![("id_token_hint", good.as_str()), ("client_id", "other")],
        ),
        ("unknown client", vec![("client_id", "nope")]),
        ("NUL", vec![("client_id", "web\0app")]),
    ] {
        let page = app.page(&logout_path(&pairs)).await;
        assert_eq!(page.status, 400, "{what}: {}", page.body);
        assert!(page.location().is_none(), "{what}");
        assert!(signed_in(&app).await, "{what}");
    }
    // A valid hint for someone else: asked, not signed out.
    let stranger = id_token(&app, "someone-else", json!(APP), now + 60);
    let page = app
        .page(&logout_path(&[("id_token_hint", &stranger)]))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Sign out?"));
    assert!(signed_in(&app).await);
}

#[tokio::test]
async fn signed_out_already_goes_straight_back_and_posts_work_too() {
    let app = spawn().await;
    signed_in_app(&app).await;
    let hint = hint_for_admin(&app, app.core.clock.now_secs());
    // An app's own form POST (no CSRF token) with a valid hint.
    let page = app
        .submit(
            "/oauth/logout",
            &[("id_token_hint", &hint), ("post_logout_redirect_uri", BYE)],
            false,
        )
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some(BYE));
    // Nobody signed in now: straight back.
    let page = app
        .page(&logout_path(&[
            ("client_id", APP),
            ("post_logout_redirect_uri", BYE),
            ("state", "a"),
        ]))
        .await;
    assert_eq!(page.location(), Some("https://app.example/bye?state=a"));
    let page = app.page("/oauth/logout").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("You are signed out"));
}

#[tokio::test]
async fn both_metadata_documents_name_the_end_session_endpoint() {
    let app = spawn().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let doc = app.get(path).await;
        assert_eq!(
            doc.json["end_session_endpoint"],
            format!("{ISSUER}/oauth/logout"),
            "{path}"
        );
    }
}

/// The hint an app really holds: the ID token the token endpoint issued
/// for `openid`, checked by the same key ring after it has expired.
#[tokio::test]
async fn the_issued_id_token_is_a_hint_even_after_it_expired() {
    let app = TestApp::spawn().await;
    app.add_client(APP, None, "openid read", true).await;
    app.core
        .store
        .set_client_redirect_uris(APP, &[super::REDIRECT.into()])
        .await
        .unwrap();
    app.core
        .store
        .set_client_post_logout_redirect_uris(APP, &[BYE.into()])
        .await
        .unwrap();
    app.sign_in().await;
    let mut pairs = request();
    for (name, value) in pairs.iter_mut() {
        if *name == "scope" {
            *value = "openid read".into();
        }
    }
    pairs.push(("nonce", "n-1".into()));
    let page = consent(&app, &pairs).await;
    let location = answer(&app, &page, "approve").await;
    let reply = exchange(&app, &params(&location)["code"], Some(VERIFIER)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let hint = reply.json["id_token"]
        .as_str()
        .expect("an ID token")
        .to_owned();
    let refresh = reply.json["refresh_token"].as_str().unwrap().to_owned();

    app.advance(2 * 3600);
    let page = app
        .page(&logout_path(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", BYE),
        ]))
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location(), Some(BYE));
    assert!(!signed_in(&app).await);
    assert_eq!(refresh_status(&app, &refresh).await.1, "invalid_grant");
}
