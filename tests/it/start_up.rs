//! Start-up: seeding, generated secrets and restarts.

use std::sync::Arc;

use authgate::domain::user;
use secrecy::SecretString;

use crate::support::{ADMIN_PASSWORD, TestApp};

#[tokio::test]
async fn seeds_an_admin_with_an_argon2id_hash_and_the_cli_client() {
    let app = TestApp::spawn().await;
    let admin = app
        .core
        .store
        .find_user_by_username("admin")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.role, user::Role::Admin);
    assert!(admin.password_hash.starts_with("$argon2id$"));
    assert!(
        user::authenticate(&app.core, "admin", ADMIN_PASSWORD)
            .await
            .is_ok()
    );
    assert!(
        user::authenticate(&app.core, "admin", "wrong-password")
            .await
            .is_err()
    );
    assert!(
        user::authenticate(&app.core, "nobody", ADMIN_PASSWORD)
            .await
            .is_err()
    );

    let client = app
        .core
        .store
        .find_client(&app.cli_client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(client.name, "AuthGate CLI");
    assert!(!client.is_confidential());
    assert!(uuid_like(&app.cli_client_id));
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn configured_cli_client_id_and_generated_admin_password() {
    let app = TestApp::spawn_with(|c| {
        c.cli_client_id = Some("my-cli".into());
        c.admin_password = None;
        c.admin_username = "root".into();
    })
    .await;
    assert_eq!(app.cli_client_id, "my-cli");
    assert!(
        app.core
            .store
            .find_client("my-cli")
            .await
            .unwrap()
            .is_some()
    );
    let root = app
        .core
        .store
        .find_user_by_username("root")
        .await
        .unwrap()
        .unwrap();
    assert!(root.password_hash.starts_with("$argon2id$"));
}

#[tokio::test]
async fn restart_keeps_generated_secrets_tokens_and_client() {
    let first = TestApp::spawn().await;
    let dir = first.dir.clone();
    let token = first.issue_token().await;
    let client_id = first.cli_client_id.clone();
    first.shutdown().await;

    let second = TestApp::spawn_in(dir, |_| {}).await;
    assert_eq!(
        second.cli_client_id, client_id,
        "the same CLI client after restart"
    );
    assert_eq!(
        second.core.store.count_users().await.unwrap(),
        1,
        "no second admin"
    );
    let r = second.tokeninfo(&token).await;
    assert_eq!(
        r.status, 200,
        "the generated JWT secret survived the restart"
    );
}

#[tokio::test]
async fn explicit_secret_overrides_the_generated_one() {
    let hs256 = |c: &mut authgate::config::Config| {
        c.signing_alg = authgate::crypto::keys::SigningAlg::Hs256
    };
    let first = TestApp::spawn_with(hs256).await;
    let token = first.issue_token().await;
    let dir = Arc::clone(&first.dir);
    first.shutdown().await;
    let second = TestApp::spawn_in(dir, |c| {
        hs256(c);
        c.jwt_secret = Some(SecretString::from("an-explicit-secret-of-32-bytes!!"));
    })
    .await;
    assert_eq!(second.tokeninfo(&token).await.status, 401);
}

#[tokio::test]
async fn cleanup_removes_only_stale_rows() {
    // The test runs the cleanup itself and counts what it removed.
    let app = TestApp::spawn_with(|c| c.cleanup_period = None).await;
    let (fresh, _) = app.start_flow().await;
    let token = app.issue_token().await;
    assert_eq!(
        authgate::tasks::cleanup_once(&app.core).await.unwrap(),
        (0, 0)
    );
    // Past the device-code retention but within the token retention.
    app.advance(2 * 24 * 3600);
    let (codes, tokens) = authgate::tasks::cleanup_once(&app.core).await.unwrap();
    assert_eq!((codes, tokens), (2, 0));
    assert_eq!(app.poll(&fresh).await.error(), "invalid_grant");
    app.advance(8 * 24 * 3600);
    let (_, tokens) = authgate::tasks::cleanup_once(&app.core).await.unwrap();
    assert_eq!(tokens, 1);
    assert_eq!(app.tokeninfo(&token).await.status, 401);
}

/// A started server runs the cleanup on its own, by its clock: a device
/// code past its retention disappears without anyone calling it.
#[tokio::test]
async fn the_started_server_cleans_up_by_itself() {
    let app = TestApp::spawn_with(|c| {
        c.cleanup_period = Some(std::time::Duration::from_millis(20));
    })
    .await;
    let (device_code, _) = app.start_flow().await;
    let hash = authgate::crypto::device_code::key(&device_code);
    let stored = || app.core.store.find_device_code_by_hash(&hash);
    assert!(stored().await.unwrap().is_some());
    // Past the device-code retention (24 h after expiry).
    app.advance(2 * 24 * 3600);
    // Bounded: the task runs every 20 ms.
    for _ in 0..500 {
        if stored().await.unwrap().is_none() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the periodic cleanup did not remove the stale device code");
}

/// Runs one statement on the app's database, whichever engine it is.
async fn execute(app: &TestApp, sql: &str) {
    if let Some(pool) = app.core.store.sqlite_pool() {
        sqlx::query(sql).execute(pool).await.unwrap();
    } else if let Some(pool) = app.core.store.postgres_pool() {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
}

/// `authgate login`'s browser sign-in needs the CLI client's loopback
/// redirect URI: seeded on a new install, added at the first start of an
/// install that predates it, and never put back once an administrator
/// removed it.
#[tokio::test]
async fn the_cli_client_gets_its_loopback_redirect_uri_once() {
    use authgate::bootstrap::CLI_REDIRECT_URI;
    use authgate::model::client::{GrantType, GrantTypes};
    let first = TestApp::spawn().await;
    let id = first.cli_client_id.clone();
    let uris = |app: &TestApp| {
        let store = app.core.store.clone();
        let id = id.clone();
        async move { store.client_redirect_uris(&id).await.unwrap() }
    };
    let grants = |app: &TestApp| {
        let store = app.core.store.clone();
        let id = id.clone();
        async move {
            let client = store.find_client(&id).await.unwrap().unwrap();
            client.grant_types.contains(GrantType::AuthorizationCode)
        }
    };
    assert_eq!(uris(&first).await, [CLI_REDIRECT_URI]);
    assert!(
        grants(&first).await,
        "a new CLI client may use the code grant"
    );
    // An install from before: neither the URI, nor the code grant (the
    // migration that added grant types saw no redirect URI), nor the
    // record of seeding them.
    first
        .core
        .store
        .set_client_redirect_uris(&id, &[])
        .await
        .unwrap();
    first
        .core
        .store
        .set_client_grant_types(&id, &GrantTypes::default_for(true, false))
        .await
        .unwrap();
    execute(
        &first,
        "DELETE FROM settings WHERE key LIKE 'cli_redirect_uri_seeded:%'",
    )
    .await;
    let dir = first.dir.clone();
    first.shutdown().await;

    let second = TestApp::spawn_in(dir, |_| {}).await;
    assert_eq!(uris(&second).await, [CLI_REDIRECT_URI], "added on upgrade");
    assert!(grants(&second).await, "with the code grant");
    // Restarting again changes nothing (no duplicate, no error).
    let dir = second.dir.clone();
    second.shutdown().await;
    let third = TestApp::spawn_in(dir, |_| {}).await;
    assert_eq!(uris(&third).await, [CLI_REDIRECT_URI]);
    // An administrator removes it: the next start leaves it removed.
    third
        .core
        .store
        .set_client_redirect_uris(&id, &[])
        .await
        .unwrap();
    let dir = third.dir.clone();
    third.shutdown().await;
    let fourth = TestApp::spawn_in(dir, |_| {}).await;
    assert!(
        uris(&fourth).await.is_empty(),
        "the administrator's choice holds"
    );
}
