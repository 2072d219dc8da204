//! `authgate login` binds its tokens to a DPoP key (RFC 9449) when the
//! server offers DPoP: the key is kept beside the credentials (0600),
//! proves every refresh, and goes at logout; `authgate token --dpop`
//! prints the headers of one request for scripts.

use std::path::Path;
use std::time::Duration;

use authgate::client::credentials::CredentialStore;
use authgate::client::dpop::StoredDpopKey;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::cli_client::{Ticking, login, run, server, stored, text};
use crate::support::TestApp;

fn key_file(app: &TestApp, config: &Path) -> std::path::PathBuf {
    CredentialStore::at(config).dpop_key_path(&app.base)
}

fn jkt_of_key_file(app: &TestApp, config: &Path) -> String {
    let key: StoredDpopKey =
        serde_json::from_slice(&std::fs::read(key_file(app, config)).unwrap()).unwrap();
    key.jkt().unwrap()
}

fn cnf_jkt(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["cnf"]["jkt"].clone()
}

#[tokio::test]
async fn login_binds_the_tokens_to_a_key_kept_beside_them() {
    // 30 s tokens: every `authgate token` refreshes, with a proof.
    let app = server(|c| c.access_token_ttl = Duration::from_secs(30)).await;
    let _tick = Ticking::start(app.clock.clone());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path();
    login(&app, config).await;

    let creds = stored(&app, config);
    assert_eq!(creds["dpop"], true, "{creds}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(key_file(&app, config))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is private");
    }
    let jkt = jkt_of_key_file(&app, config);
    let access = creds["access_token"].as_str().unwrap();
    assert_eq!(cnf_jkt(access), jkt.as_str());
    // Copied elsewhere, the refresh token is useless without the key.
    let refresh = creds["refresh_token"].as_str().unwrap();
    assert_eq!(app.refresh(refresh, None).await.error(), "invalid_grant");

    // The CLI refreshes with a proof; the new token is bound to the same key.
    let out = run(config, &["token"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let renewed = text(&out.stdout).trim().to_owned();
    assert_ne!(renewed, access);
    assert_eq!(cnf_jkt(&renewed), jkt.as_str());

    // `status` says what the tokens are bound to.
    let out = run(config, &["status"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("bound to:      the DPoP key in"), "{shown}");
    assert!(
        shown.contains(&key_file(&app, config).display().to_string()),
        "{shown}"
    );

    // Headers for one request, which the resource accepts.
    let url = format!("{}/oauth/tokeninfo", app.base);
    let out = run(config, &["token", "--dpop", "get", &url]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 2, "{printed}");
    let authorization = lines[0]
        .strip_prefix("Authorization: ")
        .expect("an Authorization line");
    let proof = lines[1].strip_prefix("DPoP: ").expect("a DPoP line");
    assert!(authorization.starts_with("DPoP "), "{authorization}");
    let reply = app
        .http
        .get(&url)
        .header("authorization", authorization)
        .header("dpop", proof)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let info: Value = reply.json().await.unwrap();
    assert_eq!(info["cnf"]["jkt"], jkt.as_str());

    // Logout deletes the key with the tokens.
    let out = run(config, &["logout"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!key_file(&app, config).exists(), "the key is deleted");
}

#[tokio::test]
async fn login_and_refresh_follow_a_required_nonce() {
    let app = server(|c| {
        c.dpop_nonce = true;
        c.access_token_ttl = Duration::from_secs(30);
    })
    .await;
    let _tick = Ticking::start(app.clock.clone());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path();
    login(&app, config).await;
    let creds = stored(&app, config);
    assert_eq!(creds["dpop"], true, "{creds}");
    let out = run(config, &["token"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let renewed = text(&out.stdout).trim().to_owned();
    assert_eq!(cnf_jkt(&renewed), jkt_of_key_file(&app, config).as_str());
}

#[tokio::test]
async fn no_dpop_keeps_bearer_tokens() {
    let app = server(|_| {}).await;
    let _tick = Ticking::start(app.clock.clone());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path();
    let login = crate::cli_client::Login::start_with(
        crate::cli_client::cli(config),
        &app,
        &["--no-browser", "--no-dpop"],
    )
    .await;
    app.approve(&login.user_code).await;
    let (code, stderr) = login.finish().await;
    assert_eq!(code, Some(0), "{stderr}");
    let creds = stored(&app, config);
    assert!(creds.get("dpop").is_none(), "{creds}");
    assert!(!key_file(&app, config).exists());
    assert_eq!(
        cnf_jkt(creds["access_token"].as_str().unwrap()),
        Value::Null
    );
    // A bearer token asks for no DPoP headers.
    let url = format!("{}/oauth/tokeninfo", app.base);
    let out = run(config, &["token", "--dpop", "GET", &url]).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not DPoP-bound"),
        "{}",
        text(&out.stderr)
    );
    let out = run(config, &["status"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("bound to:"),
        "{}",
        text(&out.stdout)
    );
}
