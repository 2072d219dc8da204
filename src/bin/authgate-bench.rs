//! `authgate-bench`: AuthGate's load benchmark.
//!
//! Starts the release server on a fresh database (SQLite, or PostgreSQL with
//! `--database-url`), warms it, and measures each scenario for a fixed time
//! with a fixed number of concurrent connections: `/health` (the server's
//! own ceiling), device-code requests, token polls on pending codes (spread
//! over many codes, so both `authorization_pending` and `slow_down` occur),
//! `tokeninfo`, introspection, and complete flows (request, approve,
//! redeem). It prints a table — requests/s, p50, p99, errors, and each
//! figure as a ratio to `/health` in the same run — plus the server's idle
//! and peak memory, and writes the same as JSON.
//!
//! Timings on a shared machine are noisy: compare ratios within one run.

#![allow(clippy::print_stdout)] // a command-line report

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Mutex;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const CLIENT_ID: &str = "bench-cli";
const ADMIN_PASSWORD: &str = "bench-admin-password";
const INTROSPECTION_TOKEN: &str = "bench-introspection-token";

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
    /// Only these scenarios (comma-separated).
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
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    Ok(Server {
        child,
        base,
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

fn client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

async fn wait_healthy(http: &reqwest::Client, base: &str) -> Result<()> {
    for _ in 0..300 {
        if let Ok(r) = http.get(format!("{base}/health")).send().await
            && r.status() == 200
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become healthy")
}

async fn device_code(http: &reqwest::Client, base: &str) -> Result<Value> {
    let r = http
        .post(format!("{base}/oauth/device/code"))
        .form(&[("client_id", CLIENT_ID)])
        .send()
        .await?;
    if r.status() != 200 {
        bail!("device code: {}", r.status());
    }
    Ok(r.json().await?)
}

/// A signed-in browser session and its CSRF token, for approvals.
async fn sign_in(base: &str) -> Result<(reqwest::Client, String)> {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let csrf = |html: &str| -> Result<String> {
        let marker = r#"name="csrf_token" value=""#;
        let start = html.find(marker).ok_or_else(|| anyhow!("no csrf field"))? + marker.len();
        let end = html[start..].find('"').ok_or_else(|| anyhow!("no quote"))? + start;
        Ok(html[start..end].to_owned())
    };
    let page = browser
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let r = browser
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", csrf(&page)?.as_str()),
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
    let token = csrf(&page)?;
    Ok((browser, token))
}

async fn approve(browser: &reqwest::Client, csrf: &str, base: &str, user_code: &str) -> Result<()> {
    let r = browser
        .post(format!("{base}/device/decision"))
        .form(&[
            ("csrf_token", csrf),
            ("user_code", user_code),
            ("decision", "approve"),
        ])
        .send()
        .await?;
    if r.status() != 303 {
        bail!("approval failed: {}", r.status());
    }
    Ok(())
}

async fn poll(http: &reqwest::Client, base: &str, code: &str) -> Result<reqwest::Response> {
    Ok(http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", DEVICE_GRANT),
            ("device_code", code),
            ("client_id", CLIENT_ID),
        ])
        .send()
        .await?)
}

/// One issued access token, through a complete flow.
async fn issue_token(
    http: &reqwest::Client,
    browser: &reqwest::Client,
    csrf: &str,
    base: &str,
) -> Result<String> {
    let dc = device_code(http, base).await?;
    let user_code = dc["user_code"]
        .as_str()
        .ok_or_else(|| anyhow!("no user_code"))?;
    approve(browser, csrf, base, user_code).await?;
    let device_code = dc["device_code"]
        .as_str()
        .ok_or_else(|| anyhow!("no device_code"))?;
    let r = poll(http, base, device_code).await?;
    let body: Value = r.json().await?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no token: {body}"))
}

/// Runs `op` from `workers` tasks for `seconds`; `op` returns how many
/// requests it made and whether the answer was the expected one.
async fn measure<F, Fut>(name: &str, workers: usize, seconds: u64, op: F) -> Row
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
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
            let mut local = Histogram::<u64>::new(3).unwrap_or_else(|_| unreachable!());
            let mut i = 0u64;
            #[allow(clippy::disallowed_methods)]
            while Instant::now() < deadline {
                #[allow(clippy::disallowed_methods)]
                let t = Instant::now();
                let (n, ok) = op(worker, i).await;
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
    let http = client()?;
    wait_healthy(&http, &base).await?;
    let (browser, csrf) = sign_in(&base).await?;
    // Warm-up: a few flows and requests of every kind.
    for _ in 0..50 {
        issue_token(&http, &browser, &csrf, &base).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, idle_rss_kb) = memory_kb(pid);
    let seconds = args.seconds;
    let workers = args.concurrency;
    let mut rows = Vec::new();

    if wanted(&args, "health") {
        let (h, b) = (http.clone(), base.clone());
        rows.push(
            measure("health", workers, seconds, move |_, _| {
                let (h, b) = (h.clone(), b.clone());
                async move {
                    let ok = matches!(h.get(format!("{b}/health")).send().await, Ok(r) if r.status() == 200);
                    (1, ok)
                }
            })
            .await,
        );
    }
    if wanted(&args, "device_code") {
        let (h, b) = (http.clone(), base.clone());
        rows.push(
            measure("device_code", workers, seconds, move |_, _| {
                let (h, b) = (h.clone(), b.clone());
                async move { (1, device_code(&h, &b).await.is_ok()) }
            })
            .await,
        );
    }
    if wanted(&args, "poll") {
        let mut codes = Vec::with_capacity(args.codes);
        for _ in 0..args.codes {
            let dc = device_code(&http, &base).await?;
            codes.push(dc["device_code"].as_str().unwrap_or_default().to_owned());
        }
        let codes = Arc::new(codes);
        let pending = Arc::new(AtomicUsize::new(0));
        let slow = Arc::new(AtomicUsize::new(0));
        let (h, b, p, s) = (http.clone(), base.clone(), pending.clone(), slow.clone());
        let mut row = measure("poll", workers, seconds, move |w, i| {
            let (h, b, codes, p, s) = (h.clone(), b.clone(), codes.clone(), p.clone(), s.clone());
            async move {
                let code = &codes[(w * 7919 + usize::try_from(i).unwrap_or(0)) % codes.len()];
                let ok = match poll(&h, &b, code).await {
                    Ok(r) if r.status() == 400 => match r.json::<Value>().await {
                        Ok(v) if v["error"] == "authorization_pending" => {
                            p.fetch_add(1, Ordering::Relaxed);
                            true
                        }
                        Ok(v) if v["error"] == "slow_down" => {
                            s.fetch_add(1, Ordering::Relaxed);
                            true
                        }
                        _ => false,
                    },
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
    let tokens = if wanted(&args, "tokeninfo") || wanted(&args, "introspect") {
        let mut tokens = Vec::new();
        for _ in 0..200 {
            tokens.push(issue_token(&http, &browser, &csrf, &base).await?);
        }
        Arc::new(tokens)
    } else {
        Arc::new(Vec::new())
    };
    if wanted(&args, "tokeninfo") {
        let (h, b, t) = (http.clone(), base.clone(), tokens.clone());
        rows.push(
            measure("tokeninfo", workers, seconds, move |w, i| {
                let (h, b, t) = (h.clone(), b.clone(), t.clone());
                async move {
                    let token = &t[(w + usize::try_from(i).unwrap_or(0)) % t.len()];
                    let r = h
                        .get(format!("{b}/oauth/tokeninfo"))
                        .bearer_auth(token)
                        .send()
                        .await;
                    (1, matches!(r, Ok(r) if r.status() == 200))
                }
            })
            .await,
        );
    }
    if wanted(&args, "introspect") {
        let (h, b, t) = (http.clone(), base.clone(), tokens.clone());
        rows.push(
            measure("introspect", workers, seconds, move |w, i| {
                let (h, b, t) = (h.clone(), b.clone(), t.clone());
                async move {
                    let token = &t[(w + usize::try_from(i).unwrap_or(0)) % t.len()];
                    let r = h
                        .post(format!("{b}/oauth/introspect"))
                        .bearer_auth(INTROSPECTION_TOKEN)
                        .form(&[("token", token.as_str())])
                        .send()
                        .await;
                    let ok = match r {
                        Ok(r) if r.status() == 200 => {
                            r.json::<Value>().await.is_ok_and(|v| v["active"] == true)
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
        let (h, b, br, c) = (http.clone(), base.clone(), browser.clone(), csrf.clone());
        rows.push(
            measure(
                "complete flow (3 requests)",
                args.flows,
                seconds,
                move |_, _| {
                    let (h, b, br, c) = (h.clone(), b.clone(), br.clone(), c.clone());
                    async move { (3, issue_token(&h, &br, &c, &b).await.is_ok()) }
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
