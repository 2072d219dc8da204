//! Crash safety: the real binary is killed with SIGKILL while device flows
//! are being approved (through the browser pages) and redeemed (on the
//! token endpoint), then restarted on the same SQLite file. After each
//! crash, and at the end:
//!
//! - every approval acknowledged before the kill (the 303 to
//!   `/device/approved`) is still approved, or already redeemed;
//! - every token handed out before the kill is still recognised;
//! - no device code has more than one access token, and a code is
//!   redeemed exactly when it has one;
//! - the restarted server is healthy and finishes the remaining flows,
//!   and each code redeems exactly once (a second poll is `invalid_grant`).
//!
//! The database is always a SQLite file (WAL, `synchronous=NORMAL`, which
//! survives a process crash), also on a `make unit-pg` run.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::Value;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use crate::support::DEVICE_GRANT;
use crate::support::process::{Log, ServerProcess, server_command};

const CLIENT_ID: &str = "crash-test-cli";
const PASSWORD: &str = "crash-test-admin-password";
/// Device flows driven through the crashes.
const FLOWS: usize = 60;
/// Crash rounds before the final, uninterrupted one.
const CRASHES: usize = 3;
/// Concurrent browser sessions approving, and devices redeeming.
const APPROVERS: usize = 4;
const REDEEMERS: usize = 3;
/// The whole test must finish within this.
const BUDGET: Duration = Duration::from_secs(120);

/// `authgate server` on the SQLite file in `dir`, once it listens.
async fn start(dir: &Path) -> ServerProcess {
    let url = format!("sqlite://{}", db_path(dir).display());
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("ADMIN_PASSWORD", PASSWORD),
        ("CLI_CLIENT_ID", CLIENT_ID),
        ("RATE_LIMIT_DEVICE_CODE", "0"),
    ];
    ServerProcess::start(server_command(dir, &env, &[]), Log::Kept).await
}

fn db_path(dir: &Path) -> PathBuf {
    dir.join("authgate.db")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn csrf(body: &str) -> String {
    crate::support::hidden_field(body, "csrf_token").expect("page has a CSRF field")
}

/// A browser signed in as the administrator, with its CSRF token.
///
/// A sign-in cut off by the kill stays counted as an attempt (attempts are
/// counted before the password is checked, so a crash cannot hide one), so
/// after a few kills the administrator's address may be locked out for a
/// couple of seconds: the browser waits `Retry-After`, as a person would.
async fn sign_in(server: &ServerProcess) -> reqwest::Result<(reqwest::Client, String)> {
    let browser = client();
    for attempt in 1.. {
        let login = browser
            .get(server.url("/login"))
            .send()
            .await?
            .text()
            .await?;
        let done = browser
            .post(server.url("/login"))
            .form(&[
                ("csrf_token", csrf(&login).as_str()),
                ("username", "admin"),
                ("password", PASSWORD),
                ("next", "/device"),
            ])
            .send()
            .await?;
        if done.status() == 429 && attempt < 5 {
            let wait: u64 = done
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait.min(20))).await;
            continue;
        }
        assert_eq!(done.status(), 303, "sign-in succeeds");
        break;
    }
    let device = browser
        .get(server.url("/device"))
        .send()
        .await?
        .text()
        .await?;
    let token = csrf(&device);
    Ok((browser, token))
}

/// Approves through the consent form; `Ok(true)` once acknowledged.
async fn approve(
    server: &ServerProcess,
    (browser, csrf): &(reqwest::Client, String),
    user_code: &str,
) -> reqwest::Result<bool> {
    let consent = browser
        .post(server.url("/device"))
        .form(&[("csrf_token", csrf.as_str()), ("user_code", user_code)])
        .send()
        .await?
        .text()
        .await?;
    let Some(ticket) = crate::support::hidden_field(&consent, "consent") else {
        return Ok(false);
    };
    let resp = browser
        .post(server.url("/device/decision"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("consent", ticket.as_str()),
            ("decision", "approve"),
        ])
        .send()
        .await?;
    let location = resp.headers().get("location").cloned();
    Ok(resp.status() == 303 && location.is_some_and(|l| l == "/device/approved"))
}

/// One token request; `(status, body)`.
async fn poll(
    server: &ServerProcess,
    http: &reqwest::Client,
    device_code: &str,
) -> reqwest::Result<(u16, Value)> {
    let resp = http
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", CLIENT_ID),
        ])
        .send()
        .await?;
    let status = resp.status().as_u16();
    Ok((status, resp.json().await.unwrap_or_default()))
}

#[derive(Debug, Clone)]
struct Flow {
    device_code: String,
    /// Normalised, as stored: eight letters.
    user_code: String,
}

/// What the test knows of each flow (by index into the flows).
#[derive(Debug, Default)]
struct Observed {
    /// Approvals acknowledged with a 303 to `/device/approved`.
    acknowledged: Vec<bool>,
    /// Access tokens received.
    tokens: Vec<Option<String>>,
    /// Answers that should not happen (not transport errors).
    anomalies: Vec<String>,
    /// Acknowledged steps in the current round.
    progress: usize,
}

/// A device code's row as the database has it.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    status: String,
    approved_by: Option<String>,
    tokens: i64,
}

/// Reads every device code and its number of access tokens straight from
/// the SQLite file (the server is not running).
async fn snapshot(dir: &Path) -> HashMap<String, Row> {
    let options = SqliteConnectOptions::new().filename(db_path(dir));
    let mut db = SqliteConnection::connect_with(&options).await.unwrap();
    let rows: Vec<(String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT d.user_code, d.status, d.user_id, COUNT(t.jti) \
         FROM device_codes d LEFT JOIN access_tokens t ON t.device_code_id = d.id \
         GROUP BY d.id, d.user_code, d.status, d.user_id",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    db.close().await.unwrap();
    rows.into_iter()
        .map(|(code, status, approved_by, tokens)| {
            (
                code,
                Row {
                    status,
                    approved_by,
                    tokens,
                },
            )
        })
        .collect()
}

/// The invariants that must hold after any crash.
fn check_invariants(flows: &[Flow], seen: &Observed, rows: &HashMap<String, Row>, when: &str) {
    assert!(seen.anomalies.is_empty(), "{when}: {:?}", seen.anomalies);
    for (i, flow) in flows.iter().enumerate() {
        let row = rows
            .get(&flow.user_code)
            .expect("every issued code is stored");
        assert!(
            row.tokens <= 1,
            "{when}: {} has {} tokens",
            flow.user_code,
            row.tokens
        );
        assert_eq!(
            row.status == "redeemed",
            row.tokens == 1,
            "{when}: a code is redeemed exactly when it has a token: {row:?}"
        );
        if seen.acknowledged[i] {
            assert!(
                row.status == "approved" || row.status == "redeemed",
                "{when}: acknowledged approval of {} lost: {row:?}",
                flow.user_code
            );
            assert!(row.approved_by.is_some(), "{when}: {row:?}");
        }
        if seen.tokens[i].is_some() {
            assert_eq!(row.status, "redeemed", "{when}: {}", flow.user_code);
        }
    }
}

/// One round: approve the pending codes and redeem the approved ones,
/// concurrently; with `kill_after`, SIGKILL the server once that many
/// steps have been acknowledged.
async fn round(
    server: ServerProcess,
    flows: &Arc<Vec<Flow>>,
    seen: &Arc<Mutex<Observed>>,
    rows: &HashMap<String, Row>,
    kill_after: Option<usize>,
) -> Option<ServerProcess> {
    let state_of = |f: &Flow| rows.get(&f.user_code).map(|r| r.status.as_str());
    let to_approve: VecDeque<usize> = (0..flows.len())
        .filter(|&i| state_of(&flows[i]) == Some("pending"))
        .collect();
    let already_approved: Vec<usize> = (0..flows.len())
        .filter(|&i| state_of(&flows[i]) == Some("approved"))
        .collect();
    seen.lock().unwrap().progress = 0;
    let server = Arc::new(server);
    let to_approve = Arc::new(Mutex::new(to_approve));
    let (redeem_tx, redeem_rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
    for i in already_approved {
        redeem_tx.send(i).unwrap();
    }
    let redeem_rx = Arc::new(tokio::sync::Mutex::new(redeem_rx));

    let mut tasks = Vec::new();
    for _ in 0..APPROVERS {
        let (server, flows, seen, queue, redeem_tx) = (
            server.clone(),
            flows.clone(),
            seen.clone(),
            to_approve.clone(),
            redeem_tx.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let Ok(browser) = sign_in(&server).await else {
                return;
            };
            loop {
                let Some(i) = queue.lock().unwrap().pop_front() else {
                    return;
                };
                match approve(&server, &browser, &flows[i].user_code).await {
                    Ok(true) => {
                        let mut seen = seen.lock().unwrap();
                        seen.acknowledged[i] = true;
                        seen.progress += 1;
                        let _ = redeem_tx.send(i);
                    }
                    Ok(false) => {
                        let mut seen = seen.lock().unwrap();
                        seen.anomalies.push(format!("approval of flow {i} refused"));
                    }
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    drop(redeem_tx);
    for _ in 0..REDEEMERS {
        let (server, flows, seen, rx) = (
            server.clone(),
            flows.clone(),
            seen.clone(),
            redeem_rx.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let http = client();
            loop {
                let Some(i) = rx.lock().await.recv().await else {
                    return;
                };
                match poll(&server, &http, &flows[i].device_code).await {
                    Ok((200, body)) => {
                        let mut seen = seen.lock().unwrap();
                        seen.tokens[i] = body["access_token"].as_str().map(str::to_owned);
                        seen.progress += 1;
                    }
                    Ok((status, body)) => {
                        let mut seen = seen.lock().unwrap();
                        seen.anomalies
                            .push(format!("redeeming flow {i}: {status} {body}"));
                    }
                    Err(_) => return,
                }
            }
        }));
    }

    let Some(kill_after) = kill_after else {
        for task in join_all(tasks).await {
            task.unwrap();
        }
        return Some(Arc::into_inner(server).expect("tasks are done"));
    };
    // Kill in the middle: after `kill_after` acknowledged steps (or when
    // the work ran out first).
    loop {
        let done = tasks.iter().all(|t| t.is_finished());
        if done || seen.lock().unwrap().progress >= kill_after {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // SIGKILL: no shutdown code runs; requests in flight are cut off.
    let busy = tasks.iter().any(|t| !t.is_finished());
    server.signal("-KILL");
    assert!(
        busy,
        "the kill lands while flows are being approved and redeemed"
    );
    for task in join_all(tasks).await {
        task.unwrap();
    }
    Arc::into_inner(server).expect("tasks are done").reap();
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_loses_no_approval_and_no_code_yields_two_tokens() {
    tokio::time::timeout(BUDGET, crash_and_recover())
        .await
        .expect("the crash test finishes within its budget");
}

async fn crash_and_recover() {
    #[allow(clippy::disallowed_methods)] // reports the test's own duration
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // Issue the device codes, concurrently.
    let server = start(dir).await;
    let http = client();
    let issued = join_all((0..FLOWS).map(|_| {
        let (http, url) = (http.clone(), server.url("/oauth/device/code"));
        async move {
            let resp = http
                .post(url)
                .form(&[("client_id", CLIENT_ID)])
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            let body: Value = resp.json().await.unwrap();
            Flow {
                device_code: body["device_code"].as_str().unwrap().to_owned(),
                user_code: body["user_code"].as_str().unwrap().replace('-', ""),
            }
        }
    }))
    .await;
    let flows = Arc::new(issued);
    let seen = Arc::new(Mutex::new(Observed {
        acknowledged: vec![false; FLOWS],
        tokens: vec![None; FLOWS],
        ..Observed::default()
    }));
    let mut rows: HashMap<String, Row> = flows
        .iter()
        .map(|f| {
            let pending = Row {
                status: "pending".into(),
                approved_by: None,
                tokens: 0,
            };
            (f.user_code.clone(), pending)
        })
        .collect();

    // Crash in the middle of approving and redeeming, several times.
    let mut server = Some(server);
    let mut kills = 0;
    for crash in 1..=CRASHES {
        let running = match server.take() {
            Some(s) => s,
            None => start(dir).await,
        };
        let remaining: usize = rows
            .values()
            .map(|r| match r.status.as_str() {
                "pending" => 2,
                "approved" => 1,
                _ => 0,
            })
            .sum();
        let kill_after = (remaining / 3).max(1);
        let survivor = round(running, &flows, &seen, &rows, Some(kill_after)).await;
        assert!(survivor.is_none());
        kills += 1;
        rows = snapshot(dir).await;
        check_invariants(
            &flows,
            &seen.lock().unwrap(),
            &rows,
            &format!("after crash {crash}"),
        );
    }
    let crashed_at = started.elapsed();

    // Restart: healthy, every token handed out so far still recognised.
    let server = start(dir).await;
    let health = http.get(server.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let received: Vec<String> = seen
        .lock()
        .unwrap()
        .tokens
        .iter()
        .flatten()
        .cloned()
        .collect();
    for token in &received {
        let info = http
            .get(server.url("/oauth/tokeninfo"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(info.status(), 200, "a token issued before a crash survives");
    }

    // Finish every flow; then each code redeems no more.
    let server = round(server, &flows, &seen, &rows, None)
        .await
        .expect("no kill in the last round");
    {
        let seen = seen.lock().unwrap();
        assert!(seen.anomalies.is_empty(), "{:?}", seen.anomalies);
    }
    for (i, flow) in flows.iter().enumerate() {
        let (status, body) = poll(&server, &http, &flow.device_code).await.unwrap();
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "flow {i}"
        );
    }
    let health = http.get(server.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200, "healthy after the crashes");
    server.stop().await;

    // Every code: redeemed, exactly one token; tokens were received for
    // all but those whose answer was lost in a crash.
    let rows = snapshot(dir).await;
    check_invariants(&flows, &seen.lock().unwrap(), &rows, "at the end");
    assert_eq!(rows.len(), FLOWS);
    for row in rows.values() {
        assert_eq!(
            (row.status.as_str(), row.tokens),
            ("redeemed", 1),
            "{row:?}"
        );
    }
    let seen = seen.lock().unwrap();
    let tokens = seen.tokens.iter().flatten().count();
    let acknowledged = seen.acknowledged.iter().filter(|a| **a).count();
    assert!(
        tokens >= FLOWS - kills * REDEEMERS,
        "{tokens} tokens received"
    );
    eprintln!(
        "crash test: {FLOWS} flows, {kills} SIGKILLs ({crashed_at:?}), \
         {acknowledged} approvals acknowledged, {tokens} tokens received, {:?} in all",
        started.elapsed()
    );
}
