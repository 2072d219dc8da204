//! Operator commands of the binary: `authgate backup` of a live SQLite
//! database, and `authgate health` (the container HEALTHCHECK).

use std::process::Output;
use std::time::Duration;

use authgate::store::{PoolSettings, Store};

use crate::support::{TestApp, backend};

const BIN: &str = env!("CARGO_BIN_EXE_authgate");

async fn authgate(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("finishes")
        .expect("runs")
}

/// A backup taken while the server runs (and writes) opens as a complete
/// database of its own, readable by its owner only.
#[tokio::test]
async fn backup_copies_a_live_database() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let env = [("DATABASE_URL", app.dir.url.as_str())];
    if backend() == "postgres" {
        let out = authgate(dir.path(), &["backup", "--output", "x.db"], &env).await;
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        return;
    }
    let token = app.issue_token().await;
    // Writes keep coming while the copy is taken.
    let busy = {
        let base = app.base.clone();
        let client_id = app.cli_client_id.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            for _ in 0..20 {
                let _ = http
                    .post(format!("{base}/oauth/device/code"))
                    .form(&[("client_id", client_id.as_str())])
                    .send()
                    .await;
            }
        })
    };
    let out = authgate(dir.path(), &["backup", "--output", "copy.db"], &env).await;
    busy.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.contains("integrity ok"), "{said}");

    let copy = dir.path().join("copy.db");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "backups hold keys and secrets");
    }
    let store = Store::connect(
        &format!("sqlite://{}", copy.display()),
        &PoolSettings::default(),
    )
    .await
    .unwrap();
    assert!(store.pending_migrations().await.unwrap().is_empty());
    assert!(
        store
            .find_user_by_username("admin")
            .await
            .unwrap()
            .is_some()
    );
    let claims = app.core.signer.verify(&token).unwrap();
    assert!(
        store
            .find_access_token(&claims.jti)
            .await
            .unwrap()
            .is_some(),
        "the token issued before the backup is in it"
    );
    store.close().await;

    let again = authgate(dir.path(), &["backup", "--output", "copy.db"], &env).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    let missing = authgate(
        dir.path(),
        &["backup", "-o", "other.db"],
        &[("DATABASE_PATH", "nowhere.db")],
    )
    .await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        !dir.path().join("nowhere.db").exists(),
        "no empty database is created"
    );
}

#[tokio::test]
async fn health_command_checks_a_server() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let url = app.url("/health");
    let out = authgate(dir.path(), &["health", "--url", &url], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("healthy")
    );
    // The default URL follows SERVER_ADDR's port.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let out = authgate(dir.path(), &["health"], &[("SERVER_ADDR", &addr)]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.shutdown().await;
    let out = authgate(
        dir.path(),
        &["health", "--url", &url, "--timeout", "2s"],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
