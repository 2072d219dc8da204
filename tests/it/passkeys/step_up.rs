//! A passkey as the fresh second factor a policy asks for before an
//! approval: the step-up page offers it, the answer is checked like any
//! passkey answer (once), and the approval's tokens say `hwk` and reach
//! `phr`.

use authgate::domain::token::{Introspection, TokenHint, introspect};
use authgate::model::audit::AuditAction;
use authgate::model::authn::Authentication;
use reqwest::Client;
use serde_json::json;

use super::{Authenticator, admin_with_passkey, audited, browser, csrf, post_json};
use crate::support::{TestApp, hidden_field};

/// Enters `user_code` on /device as htmx does: the response.
async fn enter(admin: &Client, app: &TestApp, user_code: &str) -> reqwest::Response {
    let token = csrf(admin, app, "/device").await;
    admin
        .post(app.url("/device"))
        .header("HX-Request", "true")
        .form(&[("csrf_token", token.as_str()), ("user_code", user_code)])
        .send()
        .await
        .unwrap()
}

/// Approves `user_code` in `browser` (its consent must show), redeems
/// `device_code`, and answers how the token's approval was authenticated.
async fn approve_and_read_authn(
    browser: &Client,
    app: &TestApp,
    user_code: &str,
    device_code: &str,
) -> Authentication {
    let consent = enter(browser, app, user_code).await;
    assert_eq!(consent.status(), 200);
    let consent = consent.text().await.unwrap();
    assert!(consent.contains("passkey"), "the consent says how");
    let ticket = hidden_field(&consent, "consent").unwrap();
    let token = csrf(browser, app, "/device").await;
    let decided = browser
        .post(app.url("/device/decision"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("consent", ticket.as_str()),
            ("decision", "approve"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 303);
    app.advance(6);
    let tokens = app.poll(device_code).await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.json);
    let access = tokens.json["access_token"].as_str().unwrap();
    let Introspection::Active { authn, .. } = introspect(&app.core, access, TokenHint::AccessToken)
        .await
        .unwrap()
    else {
        panic!("the new token is active");
    };
    *authn.expect("the grant's authentication")
}

#[tokio::test]
async fn a_policy_asks_for_a_passkey_and_the_approval_says_so() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    // Signed in with the password; the passkey added since proves nothing.
    let (admin, mut credential) = admin_with_passkey(&app, &auth).await;
    app.core
        .store
        .set_user_requires_second_factor(&app.admin_id, true, 0)
        .await
        .unwrap();
    let (device_code, user_code) = app.start_flow().await;

    let asked = enter(&admin, &app, &user_code).await;
    let to = asked.headers()["hx-redirect"].to_str().unwrap().to_owned();
    assert_eq!(
        to,
        format!("/login/step-up?next=%2Fdevice%3Fuser_code%3D{user_code}")
    );
    let page = admin.get(app.url(&to)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Use a passkey"));
    assert!(!page.contains("name=\"code\""), "no app, no code field");
    let token = hidden_field(&page, "csrf_token").unwrap();

    // Signed out, the ceremony is refused.
    let stranger = browser();
    let refused = post_json(
        &stranger,
        &app,
        "/login/step-up/passkey/options",
        Some(&csrf(&stranger, &app, "/login").await),
        &json!({}),
    )
    .await;
    assert_eq!(refused.status, 401);

    let options = post_json(
        &admin,
        &app,
        "/login/step-up/passkey/options",
        Some(&token),
        &json!({}),
    )
    .await;
    assert_eq!(options.status, 200, "{:?}", options.json);
    let answer = auth.get(&mut credential, &options.json);
    let forged = post_json(
        &admin,
        &app,
        "/login/step-up/passkey",
        None,
        &json!({ "credential": answer }),
    )
    .await;
    assert_eq!(forged.status, 403, "the CSRF header is checked");
    let done = post_json(
        &admin,
        &app,
        "/login/step-up/passkey",
        Some(&token),
        &json!({ "credential": answer }),
    )
    .await;
    assert_eq!(done.status, 200, "{:?}", done.json);
    assert_eq!(
        done.json["redirect"],
        format!("/device?user_code={user_code}"),
        "back to the same code"
    );
    let again = post_json(
        &admin,
        &app,
        "/login/step-up/passkey",
        Some(&token),
        &json!({ "credential": answer }),
    )
    .await;
    assert_eq!(again.status, 400, "one answer, once");
    assert_eq!(audited(&app, AuditAction::StepUp).await, ["passkey"]);

    // Now the consent shows, and the approval's token says how.
    let authn = approve_and_read_authn(&admin, &app, &user_code, &device_code).await;
    assert_eq!(authn.amr.to_stored(), "pwd hwk mfa");
    assert_eq!(authn.amr.acr().as_str(), "phr");
}

#[tokio::test]
async fn an_approval_after_a_passkey_sign_in_says_hwk_and_mfa() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (_, mut credential) = admin_with_passkey(&app, &auth).await;
    // A new browser signs in with the passkey alone.
    let visitor = browser();
    let signed_in = super::sign_in(&visitor, &app, &auth, &mut credential).await;
    assert_eq!(signed_in.status, 200, "{:?}", signed_in.json);
    let (device_code, user_code) = app.start_flow().await;
    let authn = approve_and_read_authn(&visitor, &app, &user_code, &device_code).await;
    assert_eq!(authn.amr.to_stored(), "hwk mfa");
    assert_eq!(authn.amr.acr().as_str(), "phr");
}
