//! `authgate-bench`: AuthGate's load benchmark.
//!
//! Starts the release server on a fresh database (SQLite, or PostgreSQL with
//! `--database-url`), warms it, and measures each scenario for a fixed time
//! with a fixed number of concurrent connections: `/health` (the server's
//! own ceiling), device-code requests, token polls on pending codes (spread
//! over many codes, so both `authorization_pending` and `slow_down` occur),
//! `tokeninfo`, introspection, and complete flows (request, code entry,
//! approval, redemption). It prints a table — requests/s, p50, p99, errors, and each
//! figure as a ratio to `/health` in the same run — plus the server's idle
//! and peak memory, and writes the same as JSON.
//!
//! Timings on a shared machine are noisy: compare ratios within one run.

#![allow(clippy::print_stdout)] // a command-line report

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use clap::Parser;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, HeaderName};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::Mutex;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const CLIENT_ID: &str = "bench-cli";
const ADMIN_PASSWORD: &str = "bench-admin-password";
const INTROSPECTION_TOKEN: &str = "bench-introspection-token";
/// Browsers signing in at once during the `poll_signin` scenario.
const SIGN_IN_BURST: usize = 8;

#[derive(Debug, Parser)]
#[command(name = "authgate-bench", about = "Load benchmark for AuthGate")]
struct Args {
    /// The server binary to start.
    #[arg(long, default_value = "target/release/authgate")]
    bin: PathBuf,
    /// PostgreSQL URL of an empty database (default: a fresh SQLite file).
    #[arg(long)]
    database_url: Option<String>,
    /// Seconds each scenario runs.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Concurrent connections per scenario.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Concurrent complete flows.
    #[arg(long, default_value_t = 100)]
    flows: usize,
    /// Pending codes the poll scenario spreads over.
    #[arg(long, default_value_t = 2000)]
    codes: usize,
    /// Where to write the JSON report.
    #[arg(long, default_value = "bench-results/latest.json")]
    json: PathBuf,
    /// Only these scenarios (comma-separated): health, device_code, poll,
    /// poll_signin, tokeninfo, introspect, flow.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

#[derive(Debug, Serialize, Clone)]
struct Row {
    scenario: String,
    requests: u64,
    errors: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    rps_vs_health: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    backend: String,
    seconds: u64,
    concurrency: usize,
    cores: usize,
    idle_rss_kb: u64,
    peak_rss_kb: u64,
    rows: Vec<Row>,
}

struct Server {
    child: Child,
    base: String,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_server(args: &Args) -> Result<Server> {
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let database = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    // The server runs in its own temporary directory: resolve the path first.
    let bin = std::fs::canonicalize(&args.bin)
        .with_context(|| format!("server binary {}", args.bin.display()))?;
    let child = Command::new(&bin)
        .arg("server")
        .current_dir(dir.path())
        .env("SERVER_ADDR", format!("127.0.0.1:{port}"))
        .env("BASE_URL", &base)
        .env("DATABASE_URL", database)
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("CLI_CLIENT_ID", CLIENT_ID)
        .env("POLLING_INTERVAL", "5s")
        .env("RATE_LIMIT_DEVICE_CODE", "0")
        .env("INTROSPECTION_TOKEN", INTROSPECTION_TOKEN)
        // BENCH_SERVER_LOG shows the server's own logs (e.g. `authgate=debug`).
        .env(
            "RUST_LOG",
            std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(if std::env::var_os("BENCH_SERVER_LOG").is_some() {
            Stdio::from(std::io::stderr())
        } else {
            Stdio::null()
        })
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    Ok(Server {
        child,
        base,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        _dir: dir,
    })
}

/// Peak (VmHWM) and current (VmRSS) resident memory of `pid`, in KiB.
fn memory_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// One keep-alive HTTP/1.1 connection to the server, reopened after an
/// error. Bare hyper rather than a pooled client: the generator shares the
/// two cores with the server, so every cycle it saves is the server's.
#[derive(Clone)]
struct Conn {
    addr: SocketAddr,
    sender: Arc<Mutex<Option<SendRequest<Full<Bytes>>>>>,
}

impl Conn {
    fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            sender: Arc::new(Mutex::new(None)),
        }
    }

    async fn open(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(sender)
    }

    /// Sends one request and reads the whole answer.
    async fn send(&self, req: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes)> {
        let mut guard = self.sender.lock().await;
        let sender = match guard.take() {
            Some(s) if !s.is_closed() => s,
            _ => Self::open(self.addr).await?,
        };
        let mut sender = sender;
        sender.ready().await?;
        let response = sender.send_request(req).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        *guard = Some(sender);
        Ok((status, body))
    }

    async fn get(&self, path: &str, bearer: Option<&str>) -> Result<(StatusCode, Bytes)> {
        let mut req = Request::get(path).header(HOST, "127.0.0.1");
        if let Some(token) = bearer {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(req.body(Full::new(Bytes::new()))?).await
    }

    async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(HeaderName, &str)],
    ) -> Result<(StatusCode, Bytes)> {
        let body = serde_urlencoded::to_string(form)?;
        let mut req = Request::post(path)
            .header(HOST, "127.0.0.1")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            req = req.header(name, *value);
        }
        self.send(req.body(Full::new(Bytes::from(body)))?).await
    }
}

async fn wait_healthy(conn: &Conn) -> Result<()> {
    for _ in 0..300 {
        if let Ok((status, _)) = conn.get("/health", None).await
            && status == StatusCode::OK
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become healthy")
}

async fn device_code(conn: &Conn) -> Result<Value> {
    let (status, body) = conn
        .post_form("/oauth/device/code", &[("client_id", CLIENT_ID)], &[])
        .await?;
    if status != StatusCode::OK {
        bail!("device code: {status}");
    }
    Ok(serde_json::from_slice(&body)?)
}

/// A signed-in browser session: its cookie and CSRF token, for approvals.
#[derive(Clone)]
struct Browser {
    cookie: String,
    csrf: String,
}

/// The value of the hidden field `name` in `html`.
fn hidden_field(html: &str, name: &str) -> Result<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html
        .find(&marker)
        .ok_or_else(|| anyhow!("no {name} field"))?
        + marker.len();
    let end = html[start..].find('"').ok_or_else(|| anyhow!("no quote"))? + start;
    Ok(html[start..end].to_owned())
}

fn csrf_field(html: &str) -> Result<String> {
    hidden_field(html, "csrf_token")
}

/// Signs the administrator in the way a browser does (reqwest keeps the
/// cookies), and keeps the session cookie for the approvals.
async fn sign_in(base: &str) -> Result<Browser> {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let browser = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = browser
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let r = browser
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", csrf_field(&page)?.as_str()),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await?;
    if r.status() != 303 {
        bail!("sign-in failed: {}", r.status());
    }
    let page = browser
        .get(format!("{base}/device"))
        .send()
        .await?
        .text()
        .await?;
    let url = reqwest::Url::parse(base)?;
    let cookie = reqwest::cookie::CookieStore::cookies(jar.as_ref(), &url)
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .ok_or_else(|| anyhow!("no session cookie"))?;
    Ok(Browser {
        cookie,
        csrf: csrf_field(&page)?,
    })
}

/// Approves as a person does: enters the code (the consent view, with its
/// ticket), then answers the consent form.
async fn approve(conn: &Conn, browser: &Browser, user_code: &str) -> Result<()> {
    let cookie = [(COOKIE, browser.cookie.as_str())];
    let (status, consent) = conn
        .post_form(
            "/device",
            &[
                ("csrf_token", browser.csrf.as_str()),
                ("user_code", user_code),
            ],
            &cookie,
        )
        .await?;
    if status != StatusCode::OK {
        bail!("code entry failed: {status}");
    }
    let ticket = hidden_field(std::str::from_utf8(&consent)?, "consent")?;
    let (status, _) = conn
        .post_form(
            "/device/decision",
            &[
                ("csrf_token", browser.csrf.as_str()),
                ("consent", ticket.as_str()),
                ("decision", "approve"),
            ],
            &cookie,
        )
        .await?;
    if status != StatusCode::SEE_OTHER {
        bail!("approval failed: {status}");
    }
    Ok(())
}

async fn poll(conn: &Conn, code: &str) -> Result<(StatusCode, Bytes)> {
    conn.post_form(
        "/oauth/token",
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", code),
            ("client_id", CLIENT_ID),
        ],
        &[],
    )
    .await
}

/// One issued access token, through a complete flow.
async fn issue_token(conn: &Conn, browser: &Browser) -> Result<String> {
    let dc = device_code(conn).await?;
    let user_code = dc["user_code"]
        .as_str()
        .ok_or_else(|| anyhow!("no user_code"))?;
    approve(conn, browser, user_code).await?;
    let device_code = dc["device_code"]
        .as_str()
        .ok_or_else(|| anyhow!("no device_code"))?;
    let (_, body) = poll(conn, device_code).await?;
    let body: Value = serde_json::from_slice(&body)?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no token: {body}"))
}

/// Runs `op` from `workers` tasks for `seconds`; `op` returns how many
/// requests it made and whether the answer was the expected one.
async fn measure<F, Fut>(name: &str, addr: SocketAddr, workers: usize, seconds: u64, op: F) -> Row
where
    F: Fn(Conn, usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = (u64, bool)> + Send,
{
    let op = Arc::new(op);
    let histogram = Arc::new(Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
            .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!())),
    ));
    let requests = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    #[allow(clippy::disallowed_methods)] // measuring wall time is the point
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let (op, histogram, requests, errors) = (
            op.clone(),
            histogram.clone(),
            requests.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let conn = Conn::new(addr);
            let mut local = Histogram::<u64>::new(3).unwrap_or_else(|_| unreachable!());
            let mut i = 0u64;
            #[allow(clippy::disallowed_methods)]
            while Instant::now() < deadline {
                #[allow(clippy::disallowed_methods)]
                let t = Instant::now();
                let (n, ok) = op(conn.clone(), worker, i).await;
                let micros = u64::try_from(t.elapsed().as_micros())
                    .unwrap_or(u64::MAX)
                    .max(1);
                // A multi-request operation records its mean per request.
                for _ in 0..n {
                    let _ = local.record(micros / n.max(1));
                }
                requests.fetch_add(n, Ordering::Relaxed);
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
            let _ = histogram.lock().await.add(&local);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let h = histogram.lock().await;
    let n = requests.load(Ordering::Relaxed);
    Row {
        scenario: name.to_owned(),
        requests: n,
        errors: errors.load(Ordering::Relaxed),
        rps: n as f64 / elapsed,
        p50_ms: h.value_at_quantile(0.50) as f64 / 1000.0,
        p99_ms: h.value_at_quantile(0.99) as f64 / 1000.0,
        rps_vs_health: 0.0,
    }
}

fn wanted(args: &Args, name: &str) -> bool {
    args.only.is_empty() || args.only.iter().any(|o| o == name)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let server = start_server(&args)?;
    let pid = server.child.id();
    let base = server.base.clone();
    let addr = server.addr;
    let conn = Conn::new(addr);
    wait_healthy(&conn).await?;
    let browser = sign_in(&base).await?;
    // Warm-up: a few flows and requests of every kind.
    for _ in 0..50 {
        issue_token(&conn, &browser).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, idle_rss_kb) = memory_kb(pid);
    let seconds = args.seconds;
    let workers = args.concurrency;
    let mut rows = Vec::new();

    if wanted(&args, "health") {
        rows.push(
            measure("health", addr, workers, seconds, |c, _, _| async move {
                let ok = matches!(c.get("/health", None).await, Ok((s, _)) if s == StatusCode::OK);
                (1, ok)
            })
            .await,
        );
    }
    if wanted(&args, "device_code") {
        rows.push(
            measure(
                "device_code",
                addr,
                workers,
                seconds,
                |c, _, _| async move { (1, device_code(&c).await.is_ok()) },
            )
            .await,
        );
    }
    if wanted(&args, "poll") {
        let mut codes = Vec::with_capacity(args.codes);
        for _ in 0..args.codes {
            let dc = device_code(&conn).await?;
            codes.push(dc["device_code"].as_str().unwrap_or_default().to_owned());
        }
        let codes = Arc::new(codes);
        let pending = Arc::new(AtomicUsize::new(0));
        let slow = Arc::new(AtomicUsize::new(0));
        let (p, s) = (pending.clone(), slow.clone());
        let mut row = measure("poll", addr, workers, seconds, move |c, w, i| {
            let (codes, p, s) = (codes.clone(), p.clone(), s.clone());
            async move {
                let code = &codes[(w * 7919 + usize::try_from(i).unwrap_or(0)) % codes.len()];
                let ok = match poll(&c, code).await {
                    Ok((status, body)) if status == StatusCode::BAD_REQUEST => {
                        match serde_json::from_slice::<Value>(&body) {
                            Ok(v) if v["error"] == "authorization_pending" => {
                                p.fetch_add(1, Ordering::Relaxed);
                                true
                            }
                            Ok(v) if v["error"] == "slow_down" => {
                                s.fetch_add(1, Ordering::Relaxed);
                                true
                            }
                            _ => false,
                        }
                    }
                    _ => false,
                };
                (1, ok)
            }
        })
        .await;
        row.scenario = format!(
            "poll ({} pending, {} slow_down)",
            pending.load(Ordering::Relaxed),
            slow.load(Ordering::Relaxed)
        );
        rows.push(row);
    }
    if wanted(&args, "poll_signin") {
        // Polls while browsers sign in at full speed: Argon2 runs off the
        // async workers, so polling must keep most of its pace.
        let mut codes = Vec::with_capacity(args.codes);
        for _ in 0..args.codes {
            let dc = device_code(&conn).await?;
            codes.push(dc["device_code"].as_str().unwrap_or_default().to_owned());
        }
        let codes = Arc::new(codes);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let signed_in = Arc::new(AtomicUsize::new(0));
        let mut burst = Vec::new();
        for _ in 0..SIGN_IN_BURST {
            let (base, stop, signed_in) = (base.clone(), stop.clone(), signed_in.clone());
            burst.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if sign_in(&base).await.is_ok() {
                        signed_in.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        let mut row = measure("poll_signin", addr, workers, seconds, move |c, w, i| {
            let codes = codes.clone();
            async move {
                let code = &codes[(w * 7919 + usize::try_from(i).unwrap_or(0)) % codes.len()];
                let ok = matches!(poll(&c, code).await, Ok((s, _)) if s == StatusCode::BAD_REQUEST);
                (1, ok)
            }
        })
        .await;
        stop.store(true, Ordering::Relaxed);
        for task in burst {
            let _ = task.await;
        }
        row.scenario = format!(
            "poll during sign-ins ({} sign-ins)",
            signed_in.load(Ordering::Relaxed)
        );
        rows.push(row);
    }
    let tokens = if wanted(&args, "tokeninfo") || wanted(&args, "introspect") {
        let mut tokens = Vec::new();
        for _ in 0..200 {
            tokens.push(issue_token(&conn, &browser).await?);
        }
        Arc::new(tokens)
    } else {
        Arc::new(Vec::new())
    };
    if wanted(&args, "tokeninfo") {
        let t = tokens.clone();
        rows.push(
            measure("tokeninfo", addr, workers, seconds, move |c, w, i| {
                let t = t.clone();
                async move {
                    let token = &t[(w + usize::try_from(i).unwrap_or(0)) % t.len()];
                    let r = c.get("/oauth/tokeninfo", Some(token)).await;
                    (1, matches!(r, Ok((s, _)) if s == StatusCode::OK))
                }
            })
            .await,
        );
    }
    if wanted(&args, "introspect") {
        let t = tokens.clone();
        let auth = format!("Bearer {INTROSPECTION_TOKEN}");
        rows.push(
            measure("introspect", addr, workers, seconds, move |c, w, i| {
                let (t, auth) = (t.clone(), auth.clone());
                async move {
                    let token = &t[(w + usize::try_from(i).unwrap_or(0)) % t.len()];
                    let r = c
                        .post_form(
                            "/oauth/introspect",
                            &[("token", token.as_str())],
                            &[(AUTHORIZATION, auth.as_str())],
                        )
                        .await;
                    let ok = match r {
                        Ok((s, body)) if s == StatusCode::OK => {
                            serde_json::from_slice::<Value>(&body)
                                .is_ok_and(|v| v["active"] == true)
                        }
                        _ => false,
                    };
                    (1, ok)
                }
            })
            .await,
        );
    }
    if wanted(&args, "flow") {
        let b = browser.clone();
        rows.push(
            measure(
                "complete flow (4 requests)",
                addr,
                args.flows,
                seconds,
                move |c, _, _| {
                    let b = b.clone();
                    async move { (4, issue_token(&c, &b).await.is_ok()) }
                },
            )
            .await,
        );
    }

    let (peak_rss_kb, _) = memory_kb(pid);
    let health = rows
        .iter()
        .find(|r| r.scenario == "health")
        .map(|r| r.rps)
        .unwrap_or(0.0);
    for row in &mut rows {
        row.rps_vs_health = if health > 0.0 { row.rps / health } else { 0.0 };
    }
    let report = Report {
        backend: if args.database_url.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
        .to_owned(),
        seconds,
        concurrency: workers,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        idle_rss_kb,
        peak_rss_kb,
        rows,
    };
    println!(
        "AuthGate benchmark: {} backend, {} s per scenario, {} connections, {} cores (load generator and server share them)",
        report.backend, report.seconds, report.concurrency, report.cores
    );
    println!(
        "{:<40} {:>10} {:>9} {:>9} {:>8} {:>10}",
        "scenario", "req/s", "p50 ms", "p99 ms", "errors", "vs health"
    );
    for r in &report.rows {
        println!(
            "{:<40} {:>10.0} {:>9.2} {:>9.2} {:>8} {:>9.2}x",
            r.scenario, r.rps, r.p50_ms, r.p99_ms, r.errors, r.rps_vs_health
        );
    }
    println!(
        "server memory: idle {:.1} MB, peak {:.1} MB",
        report.idle_rss_kb as f64 / 1024.0,
        report.peak_rss_kb as f64 / 1024.0
    );
    if let Some(dir) = args.json.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.json, serde_json::to_string_pretty(&report)?)?;
    println!("written to {}", args.json.display());
    drop(server);
    Ok(())
}
