//! RFC 8707 on the authorization code grant: the authorization request
//! names the resources (refused at the redirect URI when it may not), the
//! consent page shows them, the code exchange may name a subset, and a
//! remembered consent covers only the resources it was given for.

use serde_json::json;

use super::{BILLING, ORDERS, payload};
use crate::oidc::params;
use crate::support::{Page, Reply, TestApp};

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const APP: &str = "web-app";
const REDIRECT: &str = "https://app.example/callback";

/// An app with a public client [`APP`] that may ask tokens for
/// [`ORDERS`] and [`BILLING`]; the administrator is signed in.
async fn spawn() -> TestApp {
    let app = TestApp::spawn().await;
    app.add_client(APP, None, "openid read", true).await;
    app.core
        .store
        .set_client_redirect_uris(APP, &[REDIRECT.into()])
        .await
        .unwrap();
    app.core
        .store
        .set_client_resources(APP, &[ORDERS.into(), BILLING.into()])
        .await
        .unwrap();
    app.sign_in().await;
    app
}

fn authorize_path(resources: &[&str], extra: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs([
        ("response_type", "code"),
        ("client_id", APP),
        ("redirect_uri", REDIRECT),
        ("scope", "read"),
        ("state", "xyz"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    query.extend_pairs(resources.iter().map(|r| ("resource", *r)));
    query.extend_pairs(extra);
    format!("/oauth/authorize?{}", query.finish())
}

/// The consent page of a request naming `resources`, which must be shown.
async fn consent(app: &TestApp, resources: &[&str]) -> Page {
    let page = app.page(&authorize_path(resources, &[])).await;
    assert_eq!(page.status, 200, "a consent page: {}", page.body);
    page
}

/// Approves `page`; the code.
async fn approve(app: &TestApp, page: &Page) -> String {
    let reply = app.decide_app(page, "approve").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    params(reply.location().unwrap())["code"].clone()
}

/// A request naming `resources` answered at once (remembered consent).
async fn code_at_once(app: &TestApp, resources: &[&str]) -> String {
    let page = app.page(&authorize_path(resources, &[])).await;
    assert_eq!(page.status, 303, "no consent page: {}", page.body);
    params(page.location().unwrap())["code"].clone()
}

async fn exchange(app: &TestApp, code: &str, resources: &[&str]) -> Reply {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", APP),
        ("code_verifier", VERIFIER),
    ];
    form.extend(resources.iter().map(|r| ("resource", *r)));
    app.post_form("/oauth/token", &form).await
}

fn access(reply: &Reply) -> String {
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    reply.json["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_resource_the_client_may_not_have_goes_back_as_invalid_target() {
    let app = spawn().await;
    for resources in [
        vec!["https://other.example"],
        vec![ORDERS, "https://other.example"],
        vec!["https://orders.example/api#x"],
        vec![""],
    ] {
        let page = app.page(&authorize_path(&resources, &[])).await;
        assert_eq!(page.status, 303, "{resources:?}: {}", page.body);
        let location = page.location().unwrap();
        assert!(location.starts_with(REDIRECT), "{location}");
        let p = params(location);
        assert_eq!(p["error"], "invalid_target", "{resources:?}");
        assert_eq!(p["state"], "xyz");
        assert!(!p.contains_key("code"));
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_consent_page_names_the_resources_and_the_exchange_may_narrow() {
    let app = spawn().await;
    let page = consent(&app, &[ORDERS, BILLING]).await;
    assert!(page.body.contains("Access to:"), "{}", page.body);
    assert!(page.body.contains(">orders.example<"), "the host");
    assert!(page.body.contains(ORDERS), "the full URI");
    assert!(page.body.contains(">127.0.0.1:9000<"));
    let code = approve(&app, &page).await;

    // Outside what was approved: refused, and the code is still unused.
    let refused = exchange(&app, &code, &["https://other.example"]).await;
    assert_eq!(refused.status, 400, "{:?}", refused.json);
    assert_eq!(refused.json["error"], "invalid_target");
    let token = access(&exchange(&app, &code, &[ORDERS]).await);
    assert_eq!(payload(&token)["aud"], ORDERS);
    assert_eq!(app.tokeninfo(&token).await.status, 200);

    // Remembered now: the same request gives a code at once; an exchange
    // naming none gets every approved resource.
    let code = code_at_once(&app, &[ORDERS, BILLING]).await;
    let token = access(&exchange(&app, &code, &[]).await);
    assert_eq!(payload(&token)["aud"], json!([ORDERS, BILLING]));

    // The page of a request naming none has no such line.
    let page = app
        .page(&authorize_path(&[], &[("prompt", "consent")]))
        .await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Access to:"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_remembered_consent_does_not_cover_a_new_resource() {
    let app = spawn().await;
    // Approved once without any resource.
    let code = approve(&app, &consent(&app, &[]).await).await;
    assert_eq!(
        payload(&access(&exchange(&app, &code, &[]).await))["aud"],
        "http://localhost:8080"
    );
    code_at_once(&app, &[]).await;

    // Same scope, but a resource is new: asked again, never silently
    // answered; with prompt=none that is consent_required.
    let silent = app
        .page(&authorize_path(&[ORDERS], &[("prompt", "none")]))
        .await;
    assert_eq!(silent.status, 303);
    assert_eq!(
        params(silent.location().unwrap())["error"],
        "consent_required"
    );
    let page = consent(&app, &[ORDERS]).await;
    assert!(page.body.contains(ORDERS));
    let code = approve(&app, &page).await;
    assert_eq!(
        payload(&access(&exchange(&app, &code, &[]).await))["aud"],
        ORDERS
    );

    // Now ORDERS is covered; BILLING is not, alone or beside it.
    code_at_once(&app, &[ORDERS]).await;
    code_at_once(&app, &[]).await;
    consent(&app, &[BILLING]).await;
    consent(&app, &[ORDERS, BILLING]).await;
    let consent_row = app
        .core
        .store
        .find_consent(&app.admin_id, APP)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(consent_row.resources, [ORDERS]);
    app.shutdown().await;
}

/// What a person approved stays visible: `/account` lists the APIs beside
/// the scopes, in the remembered consent and in the grant ("Connected
/// devices"), and says nothing of APIs for a grant that named none.
#[tokio::test]
async fn the_account_page_names_the_approved_resources() {
    let app = spawn().await;
    let before = app.page("/account").await;
    assert_eq!(before.status, 200);
    assert!(!before.body.contains("Access to:"));
    let code = approve(&app, &consent(&app, &[ORDERS, BILLING]).await).await;
    access(&exchange(&app, &code, &[]).await);

    let page = app.page("/account").await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    let apps = body.find("Apps you allowed").expect("the consents section");
    let (devices, consents) = body.split_at(apps);
    for section in [devices, consents] {
        assert!(section.contains("Access to:"), "{section}");
        assert!(section.contains(">orders.example<"), "the host");
        assert!(section.contains(ORDERS), "the whole URI");
        assert!(section.contains(">127.0.0.1:9000<"));
    }
    app.shutdown().await;
}
