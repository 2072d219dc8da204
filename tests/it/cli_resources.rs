//! `authgate login --resource URI` (RFC 8707): the device request names
//! the APIs, the person sees them, the stored tokens (refreshed ones too)
//! are for them, and `status` names them; an API the client may not have
//! fails the sign-in.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::cli_client::{Login, Ticking, cli, run, server, stored, text};

const ORDERS: &str = "https://orders.example/api";
const BILLING: &str = "https://billing.example";

fn audience(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["aud"].clone()
}

#[tokio::test]
async fn login_asks_for_the_named_apis_and_keeps_them_on_refresh() {
    // 30 s tokens: `authgate token` refreshes.
    let app = server(|c| c.access_token_ttl = std::time::Duration::from_secs(30)).await;
    let _tick = Ticking::start(app.clock.clone());
    app.core
        .store
        .set_client_resources(&app.cli_client_id, &[ORDERS.into(), BILLING.into()])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path();
    let args = [
        "--no-browser",
        "--no-dpop",
        "--resource",
        ORDERS,
        "--resource",
        BILLING,
    ];
    app.sign_in().await;
    let csrf = app.page("/device").await.csrf();
    let login = Login::start_with(cli(config), &app, &args).await;
    let consent = app.consent_view(&csrf, &login.user_code).await.body;
    assert!(consent.contains("Access to:"), "{consent}");
    assert!(consent.contains(ORDERS) && consent.contains(BILLING));
    app.approve(&login.user_code).await;
    let (code, stderr) = login.finish().await;
    assert_eq!(code, Some(0), "{stderr}");

    let access = stored(&app, config)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(audience(&access), json!([ORDERS, BILLING]));
    let out = run(config, &["token"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let renewed = text(&out.stdout).trim().to_owned();
    assert_ne!(renewed, access, "refreshed");
    assert_eq!(audience(&renewed), json!([ORDERS, BILLING]));
    let out = run(config, &["status"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains(&format!("for the APIs:  {ORDERS} {BILLING}")),
        "{shown}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_api_the_client_may_not_have_fails_the_sign_in_with_the_reason() {
    let app = server(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "login",
            "--server",
            &app.base,
            "--client-id",
            &app.cli_client_id,
            "--no-browser",
            "--resource",
            ORDERS,
        ],
    )
    .await;
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("invalid_target"), "{stderr}");
    app.shutdown().await;
}
