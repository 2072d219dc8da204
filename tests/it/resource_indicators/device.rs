//! RFC 8707 on the device grant: the device request names the resources,
//! the person sees them, the token request may name a subset, and a
//! refresh may narrow the audience but never widen it.

use authgate::model::audit::AuditAction;
use serde_json::json;

use super::{BILLING, ISSUER, ORDERS, accepted_by, payload};
use crate::support::{Reply, TestApp};

const TV: &str = "tv";
/// Registered for [`TV`] but never named by the requests below.
const REPORTS: &str = "https://reports.example";

/// An app with a public client [`TV`] (refresh tokens on) that may ask
/// tokens for [`ORDERS`], [`BILLING`] and [`REPORTS`].
async fn spawn() -> TestApp {
    let app = TestApp::spawn().await;
    app.add_client(TV, None, "openid read", true).await;
    app.core
        .store
        .set_client_resources(TV, &[ORDERS.into(), BILLING.into(), REPORTS.into()])
        .await
        .unwrap();
    app
}

async fn device_request(app: &TestApp, resources: &[&str]) -> Reply {
    let mut form = vec![("client_id", TV), ("scope", "openid read")];
    form.extend(resources.iter().map(|r| ("resource", *r)));
    app.post_form("/oauth/device/code", &form).await
}

/// A device request naming `resources`, approved by the administrator;
/// the device code.
async fn approved(app: &TestApp, resources: &[&str]) -> String {
    let reply = device_request(app, resources).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    app.approve(reply.json["user_code"].as_str().unwrap()).await;
    reply.json["device_code"].as_str().unwrap().to_owned()
}

async fn poll(app: &TestApp, device_code: &str, resources: &[&str]) -> Reply {
    let mut form = vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
        ("client_id", TV),
    ];
    form.extend(resources.iter().map(|r| ("resource", *r)));
    app.post_form("/oauth/token", &form).await
}

async fn refresh(app: &TestApp, refresh_token: &str, resources: &[&str]) -> Reply {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", TV),
    ];
    form.extend(resources.iter().map(|r| ("resource", *r)));
    app.post_form("/oauth/token", &form).await
}

fn token(reply: &Reply, name: &str) -> String {
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    reply.json[name].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_device_request_for_a_resource_the_client_may_not_have_is_invalid_target() {
    let app = spawn().await;
    for resources in [
        vec!["https://other.example"],
        vec![ORDERS, "https://other.example"],
        vec!["https://orders.example/api/"],
        vec!["https://orders.example/api#x"],
        vec!["orders.example"],
        vec![""],
    ] {
        let reply = device_request(&app, &resources).await;
        assert_eq!(reply.status, 400, "{resources:?}: {:?}", reply.json);
        assert_eq!(reply.json["error"], "invalid_target", "{resources:?}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    // A client that registered none may name none.
    let reply = app
        .post_form(
            "/oauth/device/code",
            &[
                ("client_id", app.cli_client_id.as_str()),
                ("resource", ORDERS),
            ],
        )
        .await;
    assert_eq!(reply.status, 400, "{:?}", reply.json);
    assert_eq!(reply.json["error"], "invalid_target");
    // The parameter is documented where clients look.
    let doc = app.get("/openapi.json").await.json;
    let form = &doc["components"]["schemas"]["DeviceCodeForm"]["properties"];
    assert_eq!(form["resource"]["type"], "array", "{form}");
    app.shutdown().await;
}

#[tokio::test]
async fn the_token_is_for_the_approved_resources_or_the_subset_the_device_names() {
    let app = spawn().await;
    let device_code = approved(&app, &[ORDERS, BILLING]).await;

    // Outside what was approved, though registered: refused, and the code
    // stays approved for a proper request.
    for outside in [
        vec![REPORTS],
        vec![ORDERS, REPORTS],
        vec!["https://x.example"],
    ] {
        let refused = poll(&app, &device_code, &outside).await;
        assert_eq!(refused.status, 400, "{outside:?}: {:?}", refused.json);
        assert_eq!(refused.json["error"], "invalid_target", "{outside:?}");
    }
    let access = token(&poll(&app, &device_code, &[BILLING]).await, "access_token");
    assert_eq!(payload(&access)["aud"], BILLING);
    assert!(accepted_by(&app, &access, BILLING).await);
    assert!(!accepted_by(&app, &access, ORDERS).await);
    let info = app.tokeninfo(&access).await;
    assert_eq!(info.status, 200, "{:?}", info.json);
    let issued = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::TokenIssued), 1)
        .await
        .unwrap();
    assert_eq!(
        issued[0].detail.as_deref(),
        Some(format!("device grant, scope openid read, resources {BILLING}").as_str())
    );

    // None named: every approved resource.
    let device_code = approved(&app, &[ORDERS, BILLING]).await;
    let access = token(&poll(&app, &device_code, &[]).await, "access_token");
    assert_eq!(payload(&access)["aud"], json!([ORDERS, BILLING]));

    // A request that named none gives tokens for the issuer, and a token
    // request cannot add a resource to it.
    let device_code = approved(&app, &[]).await;
    let refused = poll(&app, &device_code, &[ORDERS]).await;
    assert_eq!(
        refused.json["error"], "invalid_target",
        "{:?}",
        refused.json
    );
    let access = token(&poll(&app, &device_code, &[]).await, "access_token");
    assert_eq!(payload(&access)["aud"], ISSUER);
    app.shutdown().await;
}

#[tokio::test]
async fn a_refresh_narrows_the_audience_but_never_widens_it() {
    let app = spawn().await;
    let device_code = approved(&app, &[ORDERS, BILLING]).await;
    let first = poll(&app, &device_code, &[ORDERS]).await;
    assert_eq!(payload(&token(&first, "access_token"))["aud"], ORDERS);
    let refresh_token = token(&first, "refresh_token");

    // Registered for the client, but not approved for this grant.
    for wider in [vec![REPORTS], vec![BILLING, REPORTS]] {
        let refused = refresh(&app, &refresh_token, &wider).await;
        assert_eq!(refused.status, 400, "{wider:?}: {:?}", refused.json);
        assert_eq!(refused.json["error"], "invalid_target", "{wider:?}");
    }

    // Narrowing to the other approved resource: the token that was not
    // asked for at the first token request.
    let narrowed = refresh(&app, &refresh_token, &[BILLING]).await;
    let access = token(&narrowed, "access_token");
    assert_eq!(payload(&access)["aud"], BILLING);
    assert!(accepted_by(&app, &access, BILLING).await);
    assert!(!accepted_by(&app, &access, ORDERS).await);
    let id_token = token(&narrowed, "id_token");
    assert_eq!(
        payload(&id_token)["aud"],
        TV,
        "ID tokens stay for the client"
    );

    // The rotated refresh token keeps the whole grant: without `resource`
    // the audience is every approved resource again.
    let again = refresh(&app, &token(&narrowed, "refresh_token"), &[]).await;
    let access = token(&again, "access_token");
    assert_eq!(payload(&access)["aud"], json!([ORDERS, BILLING]));
    let info = app.tokeninfo(&access).await;
    assert_eq!(info.status, 200, "{:?}", info.json);
    app.shutdown().await;
}

#[tokio::test]
async fn userinfo_refuses_a_token_for_another_api() {
    let app = spawn().await;
    let device_code = approved(&app, &[ORDERS]).await;
    let reply = poll(&app, &device_code, &[]).await;
    let access = token(&reply, "access_token");
    assert_eq!(payload(&access)["aud"], ORDERS);

    let refused = app
        .http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    let refused = TestApp::reply(refused).await;
    assert_eq!(refused.status, 401, "{:?}", refused.json);
    assert_eq!(refused.json["error"], "invalid_token");
    let challenge = refused.header("www-authenticate").unwrap();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    assert!(
        challenge.contains("error_description=\"the access token was issued for another"),
        "{challenge}"
    );
    // The same token is still good where it was meant to go.
    assert_eq!(app.tokeninfo(&access).await.status, 200);

    // A token of the same grant for the issuer is accepted by userinfo.
    let plain = approved(&app, &[]).await;
    let plain = token(&poll(&app, &plain, &[]).await, "access_token");
    let answered = app
        .http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(&plain)
        .send()
        .await
        .unwrap();
    let answered = TestApp::reply(answered).await;
    assert_eq!(answered.status, 200, "{:?}", answered.json);
    assert_eq!(answered.json["sub"], app.admin_id.as_str());
    app.shutdown().await;
}

#[tokio::test]
async fn the_device_consent_page_names_the_resources() {
    let app = spawn().await;
    app.sign_in().await;
    let csrf = app.page("/device").await.csrf();

    let reply = device_request(&app, &[ORDERS, BILLING]).await;
    let user_code = reply.json["user_code"].as_str().unwrap().to_owned();
    let consent = app.consent_view(&csrf, &user_code).await;
    assert!(consent.body.contains("Access to:"), "{}", consent.body);
    assert!(consent.body.contains(">orders.example<"), "the host");
    assert!(consent.body.contains(ORDERS), "the full URI");
    assert!(consent.body.contains(">127.0.0.1:9000<"));
    assert!(!consent.body.contains(REPORTS), "only what is asked");

    // Without resources the page has no such line.
    let reply = device_request(&app, &[]).await;
    let user_code = reply.json["user_code"].as_str().unwrap();
    let consent = app.consent_view(&csrf, user_code).await;
    assert!(!consent.body.contains("Access to:"));
    app.shutdown().await;
}

/// The admin token list says which API each token is for; a token for
/// this server says nothing more than its scope.
#[tokio::test]
async fn the_admin_token_list_names_each_token_s_api() {
    let app = spawn().await;
    let device_code = approved(&app, &[ORDERS]).await;
    token(&poll(&app, &device_code, &[]).await, "access_token");
    let device_code = approved(&app, &[]).await;
    token(&poll(&app, &device_code, &[]).await, "access_token");
    app.sign_in().await;
    let page = app.page("/admin/tokens").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.body.matches("for https://").count(),
        1,
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("for {ORDERS}")));
    app.shutdown().await;
}
