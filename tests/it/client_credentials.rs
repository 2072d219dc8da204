//! The client credentials grant (RFC 6749 §4.4): a confidential client's
//! token for itself, with a secret or a signed assertion.

use authgate::crypto::keys::SigningAlg;
use authgate::domain::admin::{self, Actor, ClientKind, Ctx};
use authgate::model::client::{ClientKeys, GrantType, GrantTypes};

use crate::private_key_jwt::{ASSERTION_TYPE, claims, jwks, key, sign};
use crate::support::{Reply, TestApp};

const GRANT: &str = "client_credentials";

/// A confidential client with a secret that may use the grant and the
/// scopes `read write openid`; its id and secret.
async fn machine(app: &TestApp) -> (String, String) {
    let mut spec = admin::client_spec("Nightly job", "read write openid", false).unwrap();
    spec.grant_types = Some(GrantTypes::new([GrantType::ClientCredentials]));
    crate::support::confidential_client(app, &spec).await
}

async fn ask(app: &TestApp, id: &str, secret: &str, scope: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", GRANT),
        ("client_id", id),
        ("client_secret", secret),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    app.post_form("/oauth/token", &form).await
}

#[tokio::test]
async fn a_machine_gets_a_token_for_itself_and_nothing_more() {
    let app = TestApp::spawn().await;
    let (id, secret) = machine(&app).await;

    let reply = ask(&app, &id, &secret, None).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["token_type"], "Bearer");
    assert_eq!(
        reply.json["scope"], "read write",
        "personal scopes left out"
    );
    assert!(
        reply.json.get("refresh_token").is_none(),
        "{:?}",
        reply.json
    );
    assert!(reply.json.get("id_token").is_none());
    let access = reply.json["access_token"].as_str().unwrap().to_owned();
    let header = jsonwebtoken::decode_header(&access).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));

    // Its subject is the client, and it has no user.
    let info = app.tokeninfo(&access).await;
    assert_eq!(info.status, 200, "{:?}", info.json);
    assert_eq!(info.json["sub"], id.as_str());
    assert_eq!(info.json["client_id"], id.as_str());
    assert!(info.json.get("user_id").is_none());
    assert!(info.json.get("username").is_none());
    let inspected = app
        .post_form(
            "/oauth/introspect",
            &[
                ("token", access.as_str()),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(inspected.json["active"], true);
    assert_eq!(inspected.json["sub"], id.as_str());
    assert!(inspected.json.get("username").is_none());
    // UserInfo has nobody to describe.
    let userinfo = app
        .http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert!(
        matches!(userinfo.status().as_u16(), 401 | 403),
        "{}",
        userinfo.status()
    );

    // A narrower scope.
    let narrow = ask(&app, &id, &secret, Some("read")).await;
    assert_eq!(narrow.json["scope"], "read");
    // Revocable like any token, by its client.
    let revoked = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", access.as_str()),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(revoked.status, 200);
    assert_eq!(app.tokeninfo(&access).await.status, 401);
    app.shutdown().await;
}

#[tokio::test]
async fn refusals_follow_rfc_6749() {
    let app = TestApp::spawn().await;
    let (id, secret) = machine(&app).await;
    for (scope, why) in [
        ("openid", "openid"),
        ("read offline_access", "offline_access"),
        ("email", "email"),
        ("admin", "more than"),
        ("read\u{7f}", ""),
    ] {
        let reply = ask(&app, &id, &secret, Some(scope)).await;
        assert_eq!(reply.status, 400, "{scope}: {:?}", reply.json);
        assert_eq!(reply.json["error"], "invalid_scope", "{scope}");
        assert!(
            reply.json["error_description"]
                .as_str()
                .unwrap()
                .contains(why),
            "{scope}: {:?}",
            reply.json
        );
    }
    let wrong = ask(&app, &id, "not-the-secret", None).await;
    assert_eq!(wrong.json["error"], "invalid_client");
    let none = app
        .post_form("/oauth/token", &[("grant_type", GRANT), ("client_id", &id)])
        .await;
    assert_eq!(none.json["error"], "invalid_client");

    // The public CLI client: it cannot keep a secret, so no token of its own
    // (the test support gives it every grant, so this is the client check).
    let cli = app.cli_client_id.clone();
    let public = app
        .post_form(
            "/oauth/token",
            &[("grant_type", GRANT), ("client_id", &cli)],
        )
        .await;
    assert_eq!(public.status, 400, "{:?}", public.json);
    assert!(matches!(
        public.json["error"].as_str(),
        Some("unauthorized_client" | "invalid_client")
    ));

    // A confidential client without the grant.
    let mut spec = admin::client_spec("Web app", "read", true).unwrap();
    spec.grant_types = Some(GrantTypes::new([GrantType::DeviceCode]));
    let other = admin::create_client(
        &Ctx::of(&app.core),
        &Actor::command_line(),
        &spec,
        ClientKind::Confidential,
        None,
    )
    .await
    .unwrap();
    let unauthorized = ask(&app, &other.client_id, other.secret.unwrap().expose(), None).await;
    assert_eq!(unauthorized.json["error"], "unauthorized_client");

    // Registering a public client with the grant is refused.
    let mut public_spec = admin::client_spec("Public job", "read", false).unwrap();
    public_spec.grant_types = Some(GrantTypes::new([GrantType::ClientCredentials]));
    assert!(
        admin::create_client(
            &Ctx::of(&app.core),
            &Actor::command_line(),
            &public_spec,
            ClientKind::Public,
            None,
        )
        .await
        .is_err()
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_key_client_gets_its_token_with_a_signed_assertion() {
    let app = TestApp::spawn().await;
    let k = key(SigningAlg::Es256);
    let mut spec = admin::client_spec("Signer", "read", false).unwrap();
    spec.grant_types = Some(GrantTypes::new([GrantType::ClientCredentials]));
    let id = admin::create_client(
        &Ctx::of(&app.core),
        &Actor::command_line(),
        &spec,
        ClientKind::Confidential,
        Some(ClientKeys::Jwks(jwks(&[&k]))),
    )
    .await
    .unwrap()
    .client_id;
    let assertion = sign(&k, &claims(&app, &id));
    let form = [
        ("grant_type", GRANT),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion.as_str()),
    ];
    let reply = app.post_form("/oauth/token", &form).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["scope"], "read");
    // The same assertion again: refused.
    let again = app.post_form("/oauth/token", &form).await;
    assert_eq!(again.json["error"], "invalid_client");
    app.shutdown().await;
}

#[tokio::test]
async fn the_dashboard_lists_machine_tokens_apart_from_people_s() {
    let app = TestApp::spawn().await;
    let (id, secret) = machine(&app).await;
    let machine_token = ask(&app, &id, &secret, None).await;
    let machine_jti = machine_token.json["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let machine_jti = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(&machine_jti)
        .unwrap()
        .claims["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    app.issue_tokens().await;
    app.sign_in().await;

    let all = app.page("/admin/tokens").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(
        all.body.contains("Machine (client&#39;s own)")
            || all.body.contains("Machine (client's own)")
    );
    assert!(all.body.contains("admin"), "the person's token too");
    let machines = app.page("/admin/tokens?kind=machines").await;
    assert!(machines.body.contains(&machine_jti), "{}", machines.body);
    assert!(!machines.body.contains("/admin/tokens?user="));
    let people = app.page("/admin/tokens?kind=people").await;
    assert!(!people.body.contains(&machine_jti));
    assert!(people.body.contains("/admin/tokens?user="));
    // Its revocation page names no user, and revoking works.
    let confirm = app
        .page(&format!("/admin/tokens/revoke?jti={machine_jti}"))
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    app.shutdown().await;
}
