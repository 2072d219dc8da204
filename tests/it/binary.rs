//! The `authgate` binary itself: configuration errors, version, start-up
//! with no configuration, and graceful shutdown on SIGTERM.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use crate::support::process::{Log, ServerProcess, authgate, server_command};
use crate::support::{TestApp, TestDb, backend};

/// `authgate server <args>` on a fresh database: the default SQLite file
/// in `dir`, or a fresh PostgreSQL database on that backend (returned, to
/// be kept while the server runs).
pub async fn start_server(
    dir: &std::path::Path,
    args: &[&str],
) -> (ServerProcess, Option<Arc<TestDb>>) {
    let db = match backend() {
        "postgres" => Some(TestDb::fresh().await),
        _ => None,
    };
    let env: Vec<(&str, &str)> = db
        .iter()
        .map(|db| ("DATABASE_URL", db.url.as_str()))
        .collect();
    let server = ServerProcess::start(server_command(dir, &env, args), Log::Kept).await;
    (server, db)
}

#[test]
fn version_names_commit_and_build_date() {
    let dir = tempfile::tempdir().unwrap();
    let out = authgate(dir.path()).arg("--version").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("authgate 0."), "{text}");
    assert!(text.contains("commit "), "{text}");
    assert!(text.contains("built "), "{text}");
}

#[test]
fn help_documents_the_server_options() {
    let dir = tempfile::tempdir().unwrap();
    let out = authgate(dir.path())
        .args(["server", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for var in [
        "SERVER_ADDR",
        "BASE_URL",
        "JWT_SECRET",
        "DATABASE_URL",
        "POLLING_INTERVAL",
        "CLI_CLIENT_ID",
    ] {
        assert!(text.contains(var), "--help mentions {var}");
    }
}

#[test]
fn invalid_configuration_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value) in [
        ("POLLING_INTERVAL", "fast"),
        ("BASE_URL", "ftp://example.com"),
        ("SERVER_ADDR", "nowhere"),
        ("DATABASE_URL", "mysql://db"),
    ] {
        let out = authgate(dir.path())
            .arg("server")
            .env(var, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.contains(var), "{err} names {var}");
    }
}

#[test]
fn production_mode_refuses_missing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = authgate(dir.path())
        .args(["server", "--production"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("JWT_SECRET")
    );
    let out = authgate(dir.path())
        .arg("server")
        .env("AUTHGATE_ENV", "production")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// With no configuration at all the server starts, answers, and exits 0
/// on SIGTERM. On a PostgreSQL run the one setting given is DATABASE_URL
/// (a fresh database), and no SQLite file may appear.
#[tokio::test]
async fn starts_with_no_configuration_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (server, db) = start_server(dir.path(), &[]).await;
    assert!(
        server.before.iter().any(|v| v["password"].is_string()),
        "the generated admin password is printed once"
    );
    assert_eq!(
        dir.path().join("authgate.db").exists(),
        db.is_none(),
        "the default SQLite file exactly when no DATABASE_URL is given"
    );

    let body = http_get(&server.addr, "/health");
    assert!(body.contains("\"healthy\""), "{body}");
    let login = http_get(&server.addr, "/login");
    assert!(login.contains("Sign in"), "{login}");
    assert!(
        !login.contains("data-event-stream"),
        "no live reload without --dev"
    );
    let kind = format!("\"database_kind\":\"{}\"", backend());
    assert!(body.contains(&kind), "{body}");

    // A clean exit within 15 s, and the log says why.
    let rest = server.stop().await;
    assert!(rest.iter().any(|l| l.contains("SIGTERM")), "{rest:?}");
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

/// With DATABASE_MIGRATE=false a schema that is behind stops start-up with
/// one line; `authgate migrate` brings it up to date, and then the server
/// starts without migrating.
#[tokio::test]
async fn without_migrations_on_start_a_schema_behind_is_refused() {
    let db = TestDb::fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let out = authgate(dir.path())
        .arg("server")
        .env("DATABASE_URL", &db.url)
        .env("DATABASE_MIGRATE", "false")
        .env("SERVER_ADDR", "127.0.0.1:0")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains("DATABASE_MIGRATE"), "{err}");
    assert!(err.contains("0001 init"), "names what is missing: {err}");
    assert!(err.contains("authgate migrate"), "says what to do: {err}");

    let out = authgate(dir.path())
        .arg("migrate")
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        !dir.path().join("authgate.db").exists(),
        "DATABASE_URL was used, not the default file"
    );

    let app = TestApp::spawn_in(db, |c| c.database_migrate = false).await;
    assert_eq!(app.get("/health").await.json["database_kind"], backend());
    assert!(
        app.core
            .store
            .pending_migrations()
            .await
            .unwrap()
            .is_empty()
    );
    app.issue_token().await;
}

#[test]
fn invalid_database_settings_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value) in [
        ("DATABASE_MIGRATE", "perhaps"),
        ("DATABASE_STATEMENT_TIMEOUT", "1ms"),
        ("DATABASE_MAX_CONNECTIONS", "0"),
    ] {
        let out = authgate(dir.path())
            .arg("server")
            .env(var, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.contains(var), "{err} names {var}");
    }
}

#[test]
fn keys_rotate_and_list_on_the_configured_database() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = authgate(dir.path()).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let first = run(&["keys", "rotate"]);
    assert!(first.contains("new signing key es256-"), "{first}");
    let second = run(&["keys", "rotate"]);
    let list = run(&["keys", "list"]);
    assert_eq!(list.lines().count(), 3, "header and two keys: {list}");
    assert!(list.contains("signing"));
    assert!(list.contains("retired, published for"));
    let new_kid = second.split_whitespace().nth(3).unwrap();
    assert!(
        list.lines()
            .any(|l| l.starts_with(new_kid) && l.ends_with("signing")),
        "{list}"
    );
}

/// A SIGTERM that arrives as soon as the server announces its address —
/// before the graceful-shutdown future has ever run — still stops it
/// cleanly: the handlers are installed before the announcement. (CI once
/// saw the process killed by the default action in this window.)
#[tokio::test]
async fn a_sigterm_right_after_start_up_stops_cleanly() {
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let (server, _db) = start_server(dir.path(), &[]).await;
        server.stop().await;
    }
}

/// `authgate server --dev` as a developer runs it: pages carry the live
/// reload script, and changing a file under `assets/` sends the reload
/// event down the script's stream.
#[tokio::test]
async fn dev_mode_reloads_pages_when_assets_change() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    // A checkout's layout, so the server watches this directory's assets.
    let css = dir.path().join("assets/src/app.css");
    std::fs::create_dir_all(css.parent().unwrap()).unwrap();
    std::fs::write(&css, "/* before */").unwrap();
    let (server, _db) = start_server(dir.path(), &["--dev"]).await;
    let addr = server.addr.clone();
    let login = http_get(&addr, "/login");
    let marker = r#"data-event-stream=""#;
    let start = login.find(marker).expect("reload script injected") + marker.len();
    let stream_path = &login[start..start + login[start..].find('"').unwrap()];

    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {stream_path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 1024];
    let mut read_until = |what: &str, seen: &mut String| {
        while !seen.contains(what) {
            let n = stream
                .read(&mut buf)
                .expect("the event stream answers in time");
            assert!(n > 0, "stream closed before {what:?}: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    };
    read_until("event: init", &mut seen);
    std::fs::write(&css, "/* after */").unwrap();
    read_until("event: reload", &mut seen);
    drop(server);
}
