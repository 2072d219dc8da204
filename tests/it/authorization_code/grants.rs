//! Grant types and post-logout redirect URIs per client: registered from
//! the command line, enforced at the authorization and token endpoints
//! (`unauthorized_client`).

use authgate::model::client::{GrantType, GrantTypes};

use super::{APP, REDIRECT, VERIFIER, exchange, params, refused_redirect, request, spawn};
use crate::admin::command_line::run_binary;
use crate::support::TestApp;
use crate::support::printed_client_id;

async fn cli(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let db = app.dir.clone();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_binary(&db, &args, None)
    })
    .await
    .unwrap()
}

async fn set_grants(app: &TestApp, grants: &[GrantType]) {
    app.core
        .store
        .set_client_grant_types(APP, &GrantTypes::new(grants.iter().copied()))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_client_without_the_code_grant_is_refused_at_the_redirect_uri() {
    let app = spawn().await;
    set_grants(&app, &[GrantType::DeviceCode, GrantType::RefreshToken]).await;
    app.sign_in().await;
    let (error, state) = refused_redirect(&app, &request()).await;
    assert_eq!(error, "unauthorized_client");
    assert_eq!(state.as_deref(), Some("xyz"));
}

#[tokio::test]
async fn the_token_endpoint_refuses_grants_the_client_does_not_have() {
    let app = spawn().await;
    app.sign_in().await;
    let page = super::consent(&app, &request()).await;
    let location = super::answer(&app, &page, "approve").await;
    let code = params(&location)["code"].clone();
    // The code grant only: device codes and refreshes are refused.
    set_grants(&app, &[GrantType::AuthorizationCode]).await;
    let reply = exchange(&app, &code, Some(VERIFIER)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let refresh = reply.json["refresh_token"].as_str().unwrap();
    let refused = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", APP),
            ],
        )
        .await;
    assert_eq!(
        (refused.status, refused.error()),
        (400, "unauthorized_client")
    );
    let device = app
        .post_form("/oauth/device/code", &[("client_id", APP)])
        .await;
    assert_eq!(
        (device.status, device.error()),
        (400, "unauthorized_client")
    );
    let poll = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", "anything"),
                ("client_id", APP),
            ],
        )
        .await;
    assert_eq!(poll.error(), "unauthorized_client");
    // Without the code grant, a code cannot be redeemed either.
    set_grants(&app, &[GrantType::DeviceCode]).await;
    let reply = exchange(&app, "any-code", Some(VERIFIER)).await;
    assert_eq!(reply.error(), "unauthorized_client");
}

#[tokio::test]
async fn the_command_line_registers_grants_and_post_logout_uris() {
    let app = spawn().await;
    let (ok, out, err) = cli(
        &app,
        &[
            "client",
            "add",
            "Portal",
            "--redirect-uri",
            REDIRECT,
            "--post-logout-redirect-uri",
            "https://app.example/bye",
            "--grant-type",
            "authorization_code",
            "--scopes",
            "read",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let id = printed_client_id(&out);
    let client = app.core.store.find_client(&id).await.unwrap().unwrap();
    assert_eq!(
        client.grant_types,
        GrantTypes::new([GrantType::AuthorizationCode])
    );
    assert_eq!(
        app.core
            .store
            .client_post_logout_redirect_uris(&id)
            .await
            .unwrap(),
        ["https://app.example/bye"]
    );
    let (_, json, _) = cli(&app, &["client", "list", "--json"]).await;
    let portal: serde_json::Value = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|c| c["name"] == "Portal")
        .unwrap();
    assert_eq!(
        portal["grant_types"],
        serde_json::json!(["authorization_code"])
    );
    assert_eq!(
        portal["post_logout_redirect_uris"],
        serde_json::json!(["https://app.example/bye"])
    );
    // Without --grant-type: the device grant and refresh tokens, and the
    // code grant because it has a redirect URI.
    let (ok, out, _) = cli(&app, &["client", "add", "Web", "--redirect-uri", REDIRECT]).await;
    assert!(ok);
    let id = &printed_client_id(&out);
    let client = app.core.store.find_client(id).await.unwrap().unwrap();
    assert_eq!(
        client.grant_types,
        GrantTypes::new([
            GrantType::DeviceCode,
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
        ])
    );

    for (flag, value, says) in [
        ("--grant-type", "implicit", "Unknown grant type"),
        (
            "--post-logout-redirect-uri",
            "http://app.example/bye",
            "https",
        ),
        (
            "--post-logout-redirect-uri",
            "https://app.example/bye#x",
            "fragment",
        ),
        ("--redirect-uri", "https://*.app.example/cb", "wildcard"),
        ("--redirect-uri", "http://localhost/cb", "https"),
    ] {
        let (ok, _, err) = cli(&app, &["client", "add", "Bad", flag, value]).await;
        assert!(!ok && err.contains(says), "{flag} {value}: {err}");
    }
}
