//! Faults: the real binary while its database fails under it, as an
//! operator would meet them. For each fault: what clients are answered
//! during it (fast, honest 503s, never a 500 or an empty page), how long
//! the server takes to recover once the database is back, and that every
//! acknowledged approval and every token handed out is still there and
//! usable afterwards.
//!
//! - `sqlite.rs`: the disk fills up (a file-size limit put on the running
//!   server with `prlimit`, SIGXFSZ ignored), and a read-only database file
//!   at start-up. Run on the SQLite pass of the suite.
//! - `postgres.rs`: PostgreSQL stopped; restarted and its backends
//!   terminated (`pg_terminate_backend`); frozen (SIGSTOP of the
//!   postmaster and every backend) for longer than REQUEST_TIMEOUT while
//!   approved devices redeem. Each test runs a private
//!   throwaway cluster of its own (`cluster.rs`), never the shared one of
//!   `make unit-pg`; they run on the PostgreSQL pass, and are skipped with
//!   a note when PostgreSQL's server binaries are missing.
//!
//! Every wait is bounded; nothing sleeps to wait for start-up (the server
//! logs its address once it listens).

mod cluster;
mod postgres;
mod sqlite;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::DEVICE_GRANT;
use crate::support::process::{self, Log, ServerProcess};

const CLIENT_ID: &str = "fault-test-cli";
const PASSWORD: &str = "fault-test-admin-password";

/// How long a client waits for any one answer: far above what a fault
/// may cost, far below the test's budget.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(40);

/// Reads the time for a test's own measurements.
#[allow(clippy::disallowed_methods)] // measures the server from outside
fn now() -> Instant {
    Instant::now()
}

/// `authgate server` in `dir` with the fault tests' defaults and `env`.
fn server_command(dir: &Path, env: &[(&str, &str)]) -> Command {
    let defaults = [
        ("ADMIN_PASSWORD", PASSWORD),
        ("CLI_CLIENT_ID", CLIENT_ID),
        ("RATE_LIMIT_DEVICE_CODE", "0"),
    ];
    let env: Vec<(&str, &str)> = defaults.iter().chain(env).copied().collect();
    process::server_command(dir, &env, &[])
}

/// Starts the binary in `dir` with `env` on top of the test defaults, its
/// log kept.
async fn start(dir: &Path, env: &[(&str, &str)]) -> ServerProcess {
    ServerProcess::start(server_command(dir, env), Log::Kept).await
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(CLIENT_TIMEOUT)
        .build()
        .unwrap()
}

/// An answer, and how long it took.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
    took: Duration,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }

    fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The answer of an outage: 503 `temporarily_unavailable` with a
    /// `Retry-After`, within `within`.
    #[track_caller]
    fn assert_unavailable(&self, what: &str, within: Duration) {
        assert_eq!(
            (self.status, self.error().as_str()),
            (503, "temporarily_unavailable"),
            "{what}: {self:?}"
        );
        assert!(self.header("retry-after").is_some(), "{what}: {self:?}");
        assert!(self.took <= within, "{what} took {:?}", self.took);
    }

    /// A page for people saying the service is unavailable, within `within`.
    #[track_caller]
    fn assert_unavailable_page(&self, what: &str, within: Duration) {
        assert_eq!(self.status, 503, "{what}: {self:?}");
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{what}: {self:?}"
        );
        assert!(self.body.contains("<html"), "{what}: a real page");
        assert!(self.header("retry-after").is_some(), "{what}: {self:?}");
        assert!(self.took <= within, "{what} took {:?}", self.took);
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let started = now();
    let resp = request.send().await.expect("the server answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap_or_default();
    Answer {
        status,
        headers,
        body,
        took: started.elapsed(),
    }
}

/// A device's side of the flow.
#[derive(Debug, Clone)]
struct Flow {
    device_code: String,
    /// As displayed: `XXXX-XXXX`.
    user_code: String,
}

async fn request_code(server: &ServerProcess, http: &reqwest::Client) -> Answer {
    answer(
        http.post(server.url("/oauth/device/code"))
            .form(&[("client_id", CLIENT_ID)]),
    )
    .await
}

async fn start_flow(server: &ServerProcess, http: &reqwest::Client) -> Flow {
    let a = request_code(server, http).await;
    assert_eq!(a.status, 200, "{a:?}");
    let body = a.json();
    Flow {
        device_code: body["device_code"].as_str().unwrap().to_owned(),
        user_code: body["user_code"].as_str().unwrap().to_owned(),
    }
}

async fn poll(server: &ServerProcess, http: &reqwest::Client, flow: &Flow) -> Answer {
    answer(http.post(server.url("/oauth/token")).form(&[
        ("grant_type", DEVICE_GRANT),
        ("device_code", flow.device_code.as_str()),
        ("client_id", CLIENT_ID),
    ]))
    .await
}

async fn tokeninfo(server: &ServerProcess, http: &reqwest::Client, token: &str) -> Answer {
    answer(http.get(server.url("/oauth/tokeninfo")).bearer_auth(token)).await
}

fn csrf(body: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let start = body.find(marker).expect("page has a CSRF field") + marker.len();
    let end = body[start..].find('"').expect("closing quote") + start;
    body[start..end].to_owned()
}

/// A browser signed in as the administrator, with its CSRF token.
struct Browser {
    http: reqwest::Client,
    csrf: String,
}

impl Browser {
    async fn sign_in(server: &ServerProcess) -> Browser {
        let http = http();
        let login = answer(http.get(server.url("/login"))).await;
        let done = answer(http.post(server.url("/login")).form(&[
            ("csrf_token", csrf(&login.body).as_str()),
            ("username", "admin"),
            ("password", PASSWORD),
            ("next", "/device"),
        ]))
        .await;
        assert_eq!(done.status, 303, "sign-in succeeds");
        let device = answer(http.get(server.url("/device"))).await;
        let csrf = csrf(&device.body);
        Browser { http, csrf }
    }

    /// Approves through the consent form.
    async fn approve(&self, server: &ServerProcess, flow: &Flow) -> Answer {
        let consent = answer(self.http.post(server.url("/device")).form(&[
            ("csrf_token", self.csrf.as_str()),
            ("user_code", flow.user_code.as_str()),
        ]))
        .await;
        let Some(ticket) = crate::support::hidden_field(&consent.body, "consent") else {
            return consent;
        };
        answer(self.http.post(server.url("/device/decision")).form(&[
            ("csrf_token", self.csrf.as_str()),
            ("consent", ticket.as_str()),
            ("decision", "approve"),
        ]))
        .await
    }

    /// Approves, which must be acknowledged (303 to `/device/approved`).
    async fn approved(&self, server: &ServerProcess, flow: &Flow) {
        let a = self.approve(server, flow).await;
        assert_eq!(
            (a.status, a.header("location")),
            (303, Some("/device/approved")),
            "{a:?}"
        );
    }
}

/// Polls `flow` until it yields a token; any other answer than a token or
/// an outage's 503 fails the test. Bounded by `budget`.
async fn redeem(
    server: &ServerProcess,
    http: &reqwest::Client,
    flow: &Flow,
    budget: Duration,
) -> String {
    let started = now();
    loop {
        let a = poll(server, http, flow).await;
        match (a.status, a.error().as_str()) {
            (200, _) => return a.json()["access_token"].as_str().unwrap().to_owned(),
            (503, "temporarily_unavailable") if started.elapsed() < budget => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            _ => panic!("redeeming {}: {a:?}", flow.user_code),
        }
    }
}

/// Repeats `attempt` every 100 ms until it answers 200, within `budget`;
/// returns how long that took.
async fn time_to_recover<F, Fut>(budget: Duration, mut attempt: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Answer>,
{
    let started = now();
    loop {
        let a = attempt().await;
        if a.status == 200 {
            return started.elapsed();
        }
        assert!(
            a.status == 503,
            "while recovering, only 503 is an acceptable failure: {a:?}"
        );
        assert!(
            started.elapsed() < budget,
            "not recovered within {budget:?}: {a:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Device codes as the database holds them: user code (without the dash)
/// → (status, access tokens, revoked access tokens, interval).
type Codes = HashMap<String, (String, i64, i64, i64)>;

const CODES_SQL: &str = "SELECT d.user_code, d.status, \
     COUNT(t.jti), COUNT(t.revoked_at), d.interval_secs \
     FROM device_codes d LEFT JOIN access_tokens t ON t.device_code_id = d.id \
     GROUP BY d.id, d.user_code, d.status, d.interval_secs";

fn codes_of(rows: Vec<(String, String, i64, i64, i64)>) -> Codes {
    rows.into_iter()
        .map(|(code, status, tokens, revoked, interval)| {
            (code, (status, tokens, revoked, interval))
        })
        .collect()
}

/// What must hold after any fault: each acknowledged approval is approved
/// or redeemed, each token handed out belongs to a redeemed code with one
/// token, and nothing was revoked.
#[track_caller]
fn check_codes(codes: &Codes, approved: &[&Flow], redeemed: &[&Flow]) {
    let row = |f: &Flow| {
        codes
            .get(&f.user_code.replace('-', ""))
            .unwrap_or_else(|| panic!("{} is stored", f.user_code))
            .clone()
    };
    for flow in approved {
        let (status, ..) = row(flow);
        assert!(
            status == "approved" || status == "redeemed",
            "acknowledged approval of {} lost: {status}",
            flow.user_code
        );
    }
    for flow in redeemed {
        let (status, tokens, revoked, _) = row(flow);
        assert_eq!(
            (status.as_str(), tokens, revoked),
            ("redeemed", 1, 0),
            "{}",
            flow.user_code
        );
    }
}
