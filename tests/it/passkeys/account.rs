//! The "Passkeys" card of /account: listing, renaming and removing, each
//! only for the owner; a name that will not do; passkeys turned off.

use authgate::model::audit::AuditAction;
use serde_json::json;

use super::{Authenticator, admin_with_passkey, audited, browser, csrf, password, post_json};
use crate::support::{ADMIN_PASSWORD, TestApp};

async fn form(
    browser: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let resp = browser
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location)
}

#[tokio::test]
async fn the_owner_renames_and_removes_a_passkey_and_nobody_else_can() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (admin, _) = admin_with_passkey(&app, &auth).await;
    let id = app.core.store.passkeys_of(&app.admin_id).await.unwrap()[0]
        .id
        .clone();
    let page = admin
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Passkeys") && page.contains("Laptop") && page.contains("never used"));
    assert!(
        page.contains("/assets/passkey.js?v="),
        "the script comes with the card"
    );

    authgate::domain::user::create(
        &app.core,
        "mallory",
        "mallory-pass-1",
        authgate::domain::user::Role::User,
    )
    .await
    .unwrap();
    let mallory = browser();
    assert_eq!(
        password(&mallory, &app, "mallory", "mallory-pass-1").await,
        303
    );
    let token = csrf(&mallory, &app, "/account").await;
    let rename = format!("/account/passkeys/{id}/rename");
    let delete = format!("/account/passkeys/{id}/delete");
    let (status, _) = form(
        &mallory,
        &app,
        &rename,
        &[("csrf_token", &token), ("name", "Mine")],
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = form(&mallory, &app, &delete, &[("csrf_token", &token)]).await;
    assert_eq!(status, 404);
    let stored = app.core.store.passkeys_of(&app.admin_id).await.unwrap();
    assert_eq!((stored.len(), stored[0].name.as_str()), (1, "Laptop"));

    let token = csrf(&admin, &app, "/account").await;
    // Without the CSRF token: refused.
    let (status, _) = form(&admin, &app, &rename, &[("name", "Work laptop")]).await;
    assert_eq!(status, 403);
    let (status, _) = form(
        &admin,
        &app,
        &rename,
        &[("csrf_token", &token), ("name", " ")],
    )
    .await;
    assert_eq!(status, 422, "an empty name is said on the page");
    let (status, location) = form(
        &admin,
        &app,
        &rename,
        &[("csrf_token", &token), ("name", " Work laptop ")],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/account?passkey=renamed#passkeys")
    );
    assert_eq!(
        app.core.store.passkeys_of(&app.admin_id).await.unwrap()[0].name,
        "Work laptop"
    );
    assert_eq!(
        audited(&app, AuditAction::PasskeyRenamed).await,
        ["Work laptop"]
    );

    let (status, location) = form(&admin, &app, &delete, &[("csrf_token", &token)]).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/account?passkey=removed#passkeys")
    );
    assert!(
        app.core
            .store
            .passkeys_of(&app.admin_id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(audited(&app, AuditAction::PasskeyRemoved).await.len(), 1);
    // Gone: a password alone signs in again.
    assert_eq!(
        password(&browser(), &app, "admin", ADMIN_PASSWORD).await,
        303
    );
}

#[tokio::test]
async fn registration_refuses_a_bad_name_and_excludes_existing_passkeys() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (admin, credential) = admin_with_passkey(&app, &auth).await;
    let token = csrf(&admin, &app, "/account").await;
    let long = "x".repeat(65);
    for name in ["", "  ", long.as_str(), "tab\there"] {
        let reply = post_json(
            &admin,
            &app,
            "/account/passkeys/options",
            Some(&token),
            &json!({ "name": name }),
        )
        .await;
        assert_eq!(reply.status, 422, "{name:?}");
        assert!(
            reply.json["error_description"]
                .as_str()
                .unwrap()
                .contains("Name the passkey")
        );
    }
    let options = post_json(
        &admin,
        &app,
        "/account/passkeys/options",
        Some(&token),
        &json!({ "name": "Second" }),
    )
    .await;
    let excluded = options.json["publicKey"]["excludeCredentials"]
        .as_array()
        .unwrap();
    assert_eq!(excluded.len(), 1);
    assert_eq!(excluded[0]["id"], super::authenticator::b64(&credential.id));
    assert_eq!(
        options.json["publicKey"]["authenticatorSelection"]["residentKey"],
        "preferred"
    );
    // An answer without a ceremony under way.
    let (_, answer) = auth.create(&options.json);
    let ok = post_json(
        &admin,
        &app,
        "/account/passkeys",
        Some(&token),
        &json!({ "name": "Second", "credential": answer }),
    )
    .await;
    assert_eq!(ok.status, 200);
    let again = post_json(
        &admin,
        &app,
        "/account/passkeys",
        Some(&token),
        &json!({ "name": "Second", "credential": answer }),
    )
    .await;
    assert_eq!(again.status, 400, "{:?}", again.json);
    assert_eq!(
        app.core
            .store
            .passkeys_of(&app.admin_id)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn without_a_relying_party_passkeys_are_off() {
    let app = TestApp::spawn_with(|c| c.passkeys = None).await;
    let admin = browser();
    let login = admin
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!login.contains("data-passkey"));
    assert!(login.contains("autocomplete=\"username\""));
    assert_eq!(password(&admin, &app, "admin", ADMIN_PASSWORD).await, 303);
    let page = admin
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("passkey.js"));
    let token = csrf(&admin, &app, "/account").await;
    let reply = post_json(
        &admin,
        &app,
        "/account/passkeys/options",
        Some(&token),
        &json!({ "name": "X" }),
    )
    .await;
    assert_eq!(reply.status, 403);
    let reply = post_json(
        &admin,
        &app,
        "/login/passkey/options",
        Some(&token),
        &json!({}),
    )
    .await;
    assert_eq!(reply.status, 403);
}

#[tokio::test]
async fn the_sign_in_page_offers_passkeys_in_the_username_autofill() {
    let app = TestApp::spawn().await;
    let page = app.page("/login").await;
    assert!(page.body.contains("autocomplete=\"username webauthn\""));
    assert!(page.body.contains("data-passkey=\"sign-in\""));
    assert!(page.body.contains("Sign in with a passkey"));
    assert!(!page.body.contains("<script>"), "no inline script");
    let script = app
        .http
        .get(app.url("/assets/passkey.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
}
