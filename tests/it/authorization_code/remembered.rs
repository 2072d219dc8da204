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
