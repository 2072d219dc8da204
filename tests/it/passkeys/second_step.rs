//! A passkey as the second step after a password: a person with a passkey
//! (and no authenticator app) is asked for it after their password, the
//! step finishes like a right code, and only their own passkey will do.

use authgate::model::audit::AuditAction;
use serde_json::json;

use super::{
    Authenticator, admin_with_passkey, audited, browser, csrf, password, post_json, signed_in,
};
use crate::support::{ADMIN_PASSWORD, TestApp};

/// The password step with `next`, then the code page: its HTML.
async fn password_then_step_page(app: &TestApp, visitor: &reqwest::Client) -> String {
    let token = csrf(visitor, app, "/login").await;
    let resp = visitor
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("next", "/oauth/authorize?client_id=x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "/login/code",
        "a second step is asked"
    );
    let page = visitor.get(app.url("/login/code")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

#[tokio::test]
async fn a_person_with_a_passkey_is_asked_for_it_after_their_password() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (_, mut credential) = admin_with_passkey(&app, &auth).await;

    let visitor = browser();
    let page = password_then_step_page(&app, &visitor).await;
    assert!(page.contains("Use a passkey"));
    assert!(
        !page.contains("name=\"code\""),
        "no code field without an authenticator app"
    );
    assert!(
        !signed_in(&visitor, &app).await,
        "not signed in before the step"
    );

    let token = crate::support::hidden_field(&page, "csrf_token").unwrap();
    let options = post_json(
        &visitor,
        &app,
        "/login/passkey/step/options",
        Some(&token),
        &json!({}),
    )
    .await;
    assert_eq!(options.status, 200, "{:?}", options.json);
    let allowed = options.json["publicKey"]["allowCredentials"]
        .as_array()
        .unwrap();
    assert_eq!(allowed.len(), 1, "the person's own passkeys are offered");
    let answer = auth.get(&mut credential, &options.json);
    let done = post_json(
        &visitor,
        &app,
        "/login/passkey/step",
        Some(&token),
        &json!({ "credential": answer }),
    )
    .await;
    assert_eq!(done.status, 200, "{:?}", done.json);
    assert_eq!(
        done.json["redirect"], "/oauth/authorize?client_id=x",
        "next= from the password step"
    );
    assert!(signed_in(&visitor, &app).await);
    let how = audited(&app, AuditAction::SignedIn).await;
    assert!(how.contains(&"password and passkey".to_owned()), "{how:?}");
    // The step is over: its answer cannot be sent again.
    let token = csrf(&visitor, &app, "/account").await;
    let again = post_json(
        &visitor,
        &app,
        "/login/passkey/step",
        Some(&token),
        &json!({ "credential": answer }),
    )
    .await;
    assert_eq!(again.status, 400);
}

#[tokio::test]
async fn only_the_persons_own_passkey_passes_the_step() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (_, _) = admin_with_passkey(&app, &auth).await;
    // Bob's passkey, used for the administrator's second step.
    authgate::domain::user::create(
        &app.core,
        "bob",
        "bob-password-1",
        authgate::domain::user::Role::User,
    )
    .await
    .unwrap();
    let bob = browser();
    assert_eq!(password(&bob, &app, "bob", "bob-password-1").await, 303);
    let mut bobs = super::add_passkey(&bob, &app, &auth).await;

    let visitor = browser();
    let page = password_then_step_page(&app, &visitor).await;
    let token = crate::support::hidden_field(&page, "csrf_token").unwrap();
    let options = post_json(
        &visitor,
        &app,
        "/login/passkey/step/options",
        Some(&token),
        &json!({}),
    )
    .await;
    let answer = auth.get(&mut bobs, &options.json);
    let refused = post_json(
        &visitor,
        &app,
        "/login/passkey/step",
        Some(&token),
        &json!({ "credential": answer }),
    )
    .await;
    assert_eq!(refused.status, 401, "{:?}", refused.json);
    assert!(!signed_in(&visitor, &app).await);
    let failures = audited(&app, AuditAction::PasskeyFailed).await;
    assert_eq!(failures[0], "not one of this person's passkeys");
}

#[tokio::test]
async fn the_step_needs_a_password_first() {
    let app = TestApp::spawn().await;
    let visitor = browser();
    let token = csrf(&visitor, &app, "/login").await;
    let reply = post_json(
        &visitor,
        &app,
        "/login/passkey/step/options",
        Some(&token),
        &json!({}),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json["error_description"]
            .as_str()
            .unwrap()
            .contains("Sign in again")
    );
}

#[tokio::test]
async fn with_an_authenticator_app_too_the_code_page_offers_both() {
    use authgate::model::Secret;
    use authgate::model::time::UnixSecs;
    use authgate::model::totp::StepUse;
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (_, mut credential) = admin_with_passkey(&app, &auth).await;
    let now = UnixSecs(app.core.clock.now_secs());
    let key = Secret::new("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".to_owned());
    assert!(
        app.core
            .store
            .begin_totp(&app.admin_id, &key, now)
            .await
            .unwrap()
    );
    assert!(
        app.core
            .store
            .accept_totp_step(&app.admin_id, 1, StepUse::Confirm, now)
            .await
            .unwrap()
    );

    let visitor = browser();
    let page = password_then_step_page(&app, &visitor).await;
    assert!(page.contains("name=\"code\""), "the code field");
    assert!(page.contains("Use a passkey"), "and the passkey");
    let token = crate::support::hidden_field(&page, "csrf_token").unwrap();
    let options = post_json(
        &visitor,
        &app,
        "/login/passkey/step/options",
        Some(&token),
        &json!({}),
    )
    .await;
    let answer = auth.get(&mut credential, &options.json);
    let done = post_json(
        &visitor,
        &app,
        "/login/passkey/step",
        Some(&token),
        &json!({ "credential": answer }),
    )
    .await;
    assert_eq!(done.status, 200, "{:?}", done.json);
    assert!(signed_in(&visitor, &app).await);
}
