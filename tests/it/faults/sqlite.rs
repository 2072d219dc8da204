//! SQLite faults: a full disk under a running server, and a database file
//! the server may not write.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::*;
use crate::support::backend;

/// The whole of one test, at most.
const BUDGET: Duration = Duration::from_secs(60);
/// An outage's answer comes within this (DATABASE_ACQUIRE_TIMEOUT is 2 s).
const FAST: Duration = Duration::from_secs(3);

fn on_sqlite(test: &str) -> bool {
    let yes = backend() == "sqlite";
    if !yes {
        eprintln!("{test}: runs on the SQLite pass of the suite");
    }
    yes
}

fn database_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("authgate.db").display())
}

/// Sets the largest file the server process may write (RLIMIT_FSIZE):
/// beyond it every write fails (EFBIG) as on a full disk.
fn limit_file_size(pid: u32, limit: &str) {
    let status = Command::new("prlimit")
        .args(["--pid", &pid.to_string(), &format!("--fsize={limit}")])
        .status()
        .expect("prlimit (util-linux)");
    assert!(status.success(), "prlimit --fsize={limit}");
}

async fn open(dir: &Path) -> SqliteConnection {
    let options = SqliteConnectOptions::new().filename(dir.join("authgate.db"));
    SqliteConnection::connect_with(&options).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_answered_honestly_and_forgotten_at_once() {
    if !on_sqlite("a_full_disk_is_answered_honestly_and_forgotten_at_once") {
        return;
    }
    tokio::time::timeout(BUDGET, disk_full())
        .await
        .expect("the disk-full test finishes within its budget");
}

async fn disk_full() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let url = database_url(dir);
    // Its log is on the disk that fills up: every log write will fail.
    let server =
        ServerProcess::start(server_command(dir, &[("DATABASE_URL", &url)]), Log::Broken).await;
    let http = http();
    let browser = Browser::sign_in(&server).await;
    let mut flows = Vec::new();
    for _ in 0..4 {
        flows.push(start_flow(&server, &http).await);
    }
    browser.approved(&server, &flows[0]).await;
    browser.approved(&server, &flows[1]).await;
    let first = redeem(&server, &http, &flows[0], FAST).await;
    // flows[2] is pending and polled once: its pacing is held in memory.
    let a = poll(&server, &http, &flows[2]).await;
    assert_eq!(a.error(), "authorization_pending", "{a:?}");

    // The disk is full: no file may grow.
    limit_file_size(server.pid(), "1024:unlimited");

    request_code(&server, &http)
        .await
        .assert_unavailable("a device code request", FAST);
    poll(&server, &http, &flows[1])
        .await
        .assert_unavailable("a redemption", FAST);
    browser
        .approve(&server, &flows[3])
        .await
        .assert_unavailable_page("an approval", FAST);
    let fresh = super::http();
    answer(fresh.get(server.url("/login")))
        .await
        .assert_unavailable_page("the sign-in page of a new visitor", FAST);
    let health = answer(http.get(server.url("/health"))).await;
    assert_eq!(health.status, 503, "{health:?}");
    assert_eq!(health.json()["status"], "degraded", "{health:?}");
    assert!(health.json()["reason"].is_string(), "{health:?}");
    assert_eq!(health.json()["database"], "connected", "{health:?}");
    // What needs no write still works: token checks, and pending polls
    // paced from memory (the second poll within the interval earns a
    // slow_down, whose grown interval cannot be saved yet).
    assert_eq!(tokeninfo(&server, &http, &first).await.status, 200);
    let a = poll(&server, &http, &flows[2]).await;
    assert_eq!(a.error(), "authorization_pending", "{a:?}");
    let a = poll(&server, &http, &flows[2]).await;
    assert_eq!(a.error(), "slow_down", "{a:?}");
    // Long enough for the write-behind of that interval to fail.
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    // Space again.
    limit_file_size(server.pid(), "unlimited:unlimited");
    let recovered = time_to_recover(Duration::from_secs(10), || request_code(&server, &http)).await;
    eprintln!("disk full: recovered {recovered:?} after space came back");
    assert!(recovered < Duration::from_secs(2), "{recovered:?}");
    let second = redeem(&server, &http, &flows[1], FAST).await;
    browser.approved(&server, &flows[3]).await;
    let fourth = redeem(&server, &http, &flows[3], FAST).await;
    for token in [&first, &second, &fourth] {
        assert_eq!(tokeninfo(&server, &http, token).await.status, 200);
    }
    let health = answer(http.get(server.url("/health"))).await;
    assert_eq!(
        (health.status, health.json()["status"].as_str()),
        (200, Some("healthy")),
        "{health:?}"
    );
    // The write-behind saves the interval once it can.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    server.stop().await;

    let mut db = open(dir).await;
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let codes = codes_of(sqlx::query_as(CODES_SQL).fetch_all(&mut db).await.unwrap());
    db.close().await.unwrap();
    check_codes(
        &codes,
        &[&flows[0], &flows[1], &flows[3]],
        &[&flows[0], &flows[1], &flows[3]],
    );
    let (status, _, _, interval) = &codes[&flows[2].user_code.replace('-', "")];
    assert_eq!(
        (status.as_str(), *interval),
        ("pending", 10),
        "the slow_down announced during the fault is not forgotten"
    );
}

/// A database file the server cannot write stops start-up with one clear
/// line, instead of a server whose every write fails.
#[tokio::test]
async fn a_read_only_database_stops_start_up() {
    if !on_sqlite("a_read_only_database_stops_start_up") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let url = database_url(dir);
    // Explicit secrets and an existing database: start-up itself needs
    // no write, so only a check notices the file is read-only.
    let secrets = [
        ("JWT_SECRET", "a-jwt-secret-of-at-least-32-bytes-0001"),
        ("SESSION_SECRET", "a-session-secret-of-32-bytes-or-more-02"),
    ];
    let mut env = vec![("DATABASE_URL", url.as_str())];
    env.extend(secrets);
    start(dir, &env).await.stop().await;
    let read_only = format!("{url}?mode=ro");
    env[0] = ("DATABASE_URL", read_only.as_str());
    let mut child = server_command(dir, &env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut exited = None;
    for _ in 0..300 {
        if let Some(status) = child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let Some(status) = exited else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server started on a read-only database");
    };
    let out = child.wait_with_output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!status.success(), "{said}");
    assert!(said.contains("read-only"), "{said}");
}
