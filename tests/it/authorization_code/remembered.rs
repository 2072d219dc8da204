//! Remembered consent: a second request within what was approved skips the
//! consent page; more scopes or `prompt=consent` ask again; /account lists
//! and revokes it.

use authgate::model::audit::AuditAction;

use super::{
    APP, ISSUER, REDIRECT, VERIFIER, answer, authorize_path, consent, exchange, params, request,
    spawn, with,
};
use crate::admin::add_user;
use crate::support::TestApp;
use authgate::domain::user::Role;

/// Requests `pairs` and expects the code at once (no page).
async fn code_at_once(app: &TestApp, pairs: &[(&str, String)]) -> String {
    let page = app.page(&authorize_path(pairs)).await;
    assert_eq!(page.status, 303, "no consent page: {}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let location = page.location().unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    let p = params(location);
    assert_eq!(p["state"], "xyz");
    assert_eq!(p["iss"], ISSUER);
    p["code"].clone()
}

async fn approve(app: &TestApp, pairs: &[(&str, String)]) -> String {
    let page = consent(app, pairs).await;
    answer(app, &page, "approve").await
}

#[tokio::test]
async fn a_second_request_within_the_approved_scopes_skips_the_consent_page() {
    let app = spawn().await;
    app.sign_in().await;
    approve(&app, &request()).await;
    let given = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::ConsentGiven), 5)
        .await
        .unwrap();
    assert_eq!(given.len(), 1);
    assert_eq!(given[0].detail.as_deref(), Some("scope read"));

    app.advance(60);
    let code = code_at_once(&app, &request()).await;
    let reply = exchange(&app, &code, Some(VERIFIER)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let consent = app
        .core
        .store
        .find_consent(
            &app.core
                .store
                .find_user_by_username("admin")
                .await
                .unwrap()
                .unwrap()
                .id,
            APP,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        consent.last_used_at.0,
        consent.granted_at.0 + 60,
        "last use noted"
    );
    let approved = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::AppApproved), 5)
        .await
        .unwrap();
    assert_eq!(approved.len(), 2);
    assert!(
        approved[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("remembered")
    );
}

#[tokio::test]
async fn more_scopes_ask_again_and_the_consent_becomes_the_union() {
    let app = spawn().await;
    app.sign_in().await;
    approve(&app, &request()).await;
    // `write` is new: the page again, listing the request's scopes.
    let page = consent(&app, &with("scope", Some("write"))).await;
    assert!(page.body.contains("Create and change data"));
    answer(&app, &page, "approve").await;
    // Both are covered now, in either order or alone.
    code_at_once(&app, &with("scope", Some("write read"))).await;
    code_at_once(&app, &with("scope", Some("read"))).await;
    // A denial of a wider request takes nothing back, and stores nothing.
    app.core
        .store
        .update_client(APP, "Client web-app", "read write admin", true, 0)
        .await
        .unwrap();
    let page = consent(&app, &with("scope", Some("read admin"))).await;
    let denied = answer(&app, &page, "deny").await;
    assert_eq!(params(&denied)["error"], "access_denied");
    consent(&app, &with("scope", Some("admin"))).await;
    code_at_once(&app, &with("scope", Some("read write"))).await;
}

#[tokio::test]
async fn prompt_consent_always_shows_the_page() {
    let app = spawn().await;
    app.sign_in().await;
    approve(&app, &request()).await;
    let mut pairs = request();
    pairs.push(("prompt", "consent".into()));
    consent(&app, &pairs).await;
}

#[tokio::test]
async fn consent_is_per_person() {
    let app = spawn().await;
    add_user(&app, "bea", "bea-password-long", Role::User).await;
    app.sign_in().await;
    approve(&app, &request()).await;
    let account = app.page("/account").await;
    let out = app
        .submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;
    assert_eq!(out.status, 303);
    let signed_in = app.sign_in_as("bea", "bea-password-long").await;
    assert_eq!(signed_in.status, 303);
    consent(&app, &request()).await;
}

/// Approves `request()` and redeems the code: `(access, refresh)`.
async fn app_tokens(app: &TestApp) -> (String, String) {
    let location = approve(app, &request()).await;
    let reply = exchange(app, &params(&location)["code"], Some(VERIFIER)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    (
        reply.json["access_token"].as_str().unwrap().to_owned(),
        reply.json["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn refresh_app(app: &TestApp, refresh: &str) -> crate::support::Reply {
    app.post_form(
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", APP),
        ],
    )
    .await
}

#[tokio::test]
async fn account_lists_the_app_and_revoke_ends_its_consent_and_tokens_only() {
    let app = spawn().await;
    app.sign_in().await;
    let device = app.issue_tokens().await;
    let (access, refresh) = app_tokens(&app).await;
    let account = app.page("/account").await;
    assert!(account.body.contains("Apps you allowed"));
    assert!(account.body.contains("Client web-app"));
    assert!(account.body.contains("Read your data"));
    assert!(account.body.contains("value=\"web-app\""));

    let revoked = app
        .submit(
            "/account/apps/revoke",
            &[("csrf_token", &account.csrf()), ("client_id", APP)],
            false,
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(revoked.location(), Some("/account?app_revoked=1"));
    let after = app.page("/account?app_revoked=1").await;
    assert!(after.body.contains("App access revoked"));
    assert!(
        !after.body.contains("value=\"web-app\""),
        "no longer listed"
    );

    assert_eq!(refresh_app(&app, &refresh).await.error(), "invalid_grant");
    assert_eq!(
        app.tokeninfo(&access).await.status,
        401,
        "access token ended"
    );
    // The device flow's tokens (another client) are untouched.
    assert_eq!(app.tokeninfo(&device.access).await.status, 200);
    assert_eq!(app.refresh(&device.refresh, None).await.status, 200);
    // The next request asks again.
    consent(&app, &request()).await;
    let events = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::ConsentRevoked), 5)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].client_id.as_deref(), Some(APP));
}

#[tokio::test]
async fn revoking_an_app_needs_csrf_a_session_and_a_consent_of_ones_own() {
    let app = spawn().await;
    app.sign_in().await;
    let (_, refresh) = app_tokens(&app).await;
    let csrf = app.page("/account").await.csrf();
    let forged = app
        .submit(
            "/account/apps/revoke",
            &[("csrf_token", "forged"), ("client_id", APP)],
            false,
        )
        .await;
    assert_eq!(forged.status, 403);
    for client in ["nope", "", "cli"] {
        let missing = app
            .submit(
                "/account/apps/revoke",
                &[("csrf_token", &csrf), ("client_id", client)],
                false,
            )
            .await;
        assert_eq!(missing.status, 404, "{client:?}");
    }
    let stranger = app.reply_client().await;
    let resp = stranger
        .post(app.url("/account/apps/revoke"))
        .form(&[("csrf_token", csrf.as_str()), ("client_id", APP)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "signed out: to sign-in");
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    // Another person cannot end this one's consent.
    add_user(&app, "bea", "bea-password-long", Role::User).await;
    let out = app.submit("/logout", &[("csrf_token", &csrf)], false).await;
    assert_eq!(out.status, 303);
    app.sign_in_as("bea", "bea-password-long").await;
    let csrf = app.page("/account").await.csrf();
    let theirs = app
        .submit(
            "/account/apps/revoke",
            &[("csrf_token", &csrf), ("client_id", APP)],
            false,
        )
        .await;
    assert_eq!(theirs.status, 404);
    assert_eq!(refresh_app(&app, &refresh).await.status, 200, "still valid");
}
