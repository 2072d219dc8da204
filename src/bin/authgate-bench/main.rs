//! `authgate-bench`: AuthGate's load benchmark.
//!
//! Starts the release server on a fresh database (SQLite, or PostgreSQL with
//! `--database-url`), warms it, and measures each scenario for a fixed time
//! with a fixed number of concurrent connections: `/health` (the server's
//! own ceiling), device-code requests, token polls on pending codes (spread
//! over many codes, so both `authorization_pending` and `slow_down` occur),
//! `tokeninfo`, introspection, complete flows (request, code entry,
//! approval, redemption), authorization code exchanges with PKCE under
//! remembered consent (authorize, then redeem for an ID token; counted
//! per exchange) and UserInfo (see `apps.rs`). It prints a table —
//! requests/s, p50, p99, errors, and each figure as a ratio to `/health`
//! in the same run — plus the server's idle and peak memory, and writes
//! the same as JSON.
//!
//! With `--fill N` it then grows the database to N live pending codes and
//! times code entry and the admin pages on it (see `fill.rs`).
//!
//! Timings on a shared machine are noisy: compare ratios within one run.
//!
//! `make bench` runs it on SQLite, `make bench-pg` on a throwaway
//! PostgreSQL cluster with fsync and synchronous commit on; options go
//! through `BENCH_ARGS`. The load generator speaks bare HTTP/1.1 over
//! keep-alive connections (hyper), so it takes little of the CPU it shares
//! with the server; the server is warmed with 50 complete flows first. In
//! the flow scenario each of `--flows` people has an account, a session and
//! an address of their own (from 198.18.0.0/15, with 127.0.0.1 as a trusted
//! proxy), and makes four requests: ask for a code, enter it, approve,
//! redeem. The server inherits the environment (except the settings
//! `server.rs` fixes), so `JWT_SIGNING_ALG=EdDSA make bench` or
//! `DATABASE_MAX_CONNECTIONS=32 make bench-pg` measure other settings;
//! `BENCH_SERVER_LOG=authgate=debug` shows the server's log, writer round
//! sizes and times among it.

#![allow(clippy::print_stdout)] // a command-line report

mod apps;
mod client;
mod fill;
mod machines;
mod measure;
mod report;
mod scenarios;
mod server;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::Parser;

use client::{ADMIN, Conn, issue_token, sign_in, wait_healthy};
use report::Report;
use scenarios::Target;
use server::{memory_kb, start_server};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const CLIENT_ID: &str = "bench-cli";
const ADMIN_PASSWORD: &str = "bench-admin-password";
const INTROSPECTION_TOKEN: &str = "bench-introspection-token";
/// Browsers signing in at once during the `poll_signin` scenario.
const SIGN_IN_BURST: usize = 8;

#[derive(Debug, Parser)]
#[command(name = "authgate-bench", about = "Load benchmark for AuthGate")]
pub(crate) struct Args {
    /// The server binary to start.
    #[arg(long, default_value = "target/release/authgate")]
    pub(crate) bin: PathBuf,
    /// PostgreSQL URL of an empty database (default: a fresh SQLite file).
    #[arg(long)]
    pub(crate) database_url: Option<String>,
    /// Seconds each scenario runs.
    #[arg(long, default_value_t = 5)]
    pub(crate) seconds: u64,
    /// Concurrent connections per scenario.
    #[arg(long, default_value_t = 64)]
    pub(crate) concurrency: usize,
    /// Concurrent complete flows, each by a person with an account, a
    /// session and an address of their own.
    #[arg(long, default_value_t = 100)]
    pub(crate) flows: usize,
    /// Pending codes the poll scenario spreads over.
    #[arg(long, default_value_t = 2000)]
    pub(crate) codes: usize,
    /// Where to write the JSON report.
    #[arg(long, default_value = "bench-results/latest.json")]
    pub(crate) json: PathBuf,
    /// Afterwards, grow the database to this many live pending codes and
    /// time code entry and the admin pages on it (see fill.rs); 0 skips.
    #[arg(long, default_value_t = 0)]
    pub(crate) fill: usize,
    /// Only these scenarios (comma-separated): health, device_code, poll,
    /// poll_signin, tokeninfo, introspect, flow, authorization_code,
    /// userinfo, client_credentials, dpop.
    #[arg(long, value_delimiter = ',')]
    pub(crate) only: Vec<String>,
}

fn wanted(args: &Args, name: &str) -> bool {
    args.only.is_empty() || args.only.iter().any(|o| o == name)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let mut server = start_server(&args)?;
    let pid = server.child.id();
    let conn = Conn::new(server.addr);
    wait_healthy(&conn).await?;
    let browser = sign_in(&server.base, ADMIN, "127.0.0.1").await?;
    // Warm-up: a few complete flows.
    for _ in 0..50 {
        issue_token(&conn, &browser).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, idle_rss_kb) = memory_kb(pid);
    let target = Target {
        addr: server.addr,
        base: server.base.clone(),
        conn,
        browser,
        seconds: args.seconds,
        workers: args.concurrency,
    };
    let mut rows = Vec::new();
    if wanted(&args, "health") {
        rows.push(scenarios::health(&target).await);
    }
    if wanted(&args, "device_code") {
        rows.push(scenarios::device_codes(&target).await);
    }
    if wanted(&args, "poll") {
        rows.push(scenarios::polls(&target, args.codes).await?);
    }
    if wanted(&args, "poll_signin") {
        rows.push(scenarios::polls_during_sign_ins(&target, args.codes).await?);
    }
    if wanted(&args, "tokeninfo") || wanted(&args, "introspect") {
        let tokens = scenarios::tokens(&target, 200).await?;
        if wanted(&args, "tokeninfo") {
            rows.push(scenarios::tokeninfo(&target, tokens.clone()).await);
        }
        if wanted(&args, "introspect") {
            rows.push(scenarios::introspection(&target, tokens).await);
        }
    }
    if wanted(&args, "flow") {
        let people = scenarios::people(&target, args.flows).await?;
        rows.push(scenarios::flows(&target, people).await);
    }
    if wanted(&args, "authorization_code") || wanted(&args, "userinfo") {
        let app = apps::app(&target).await?;
        if wanted(&args, "authorization_code") {
            rows.push(apps::authorization_codes(&target, app.clone()).await);
        }
        if wanted(&args, "userinfo") {
            let tokens = apps::tokens(&target, &app, 8).await?;
            rows.push(apps::userinfo(&target, tokens).await);
        }
    }
    if wanted(&args, "client_credentials") || wanted(&args, "dpop") {
        let machine = machines::machine(&target).await?;
        if wanted(&args, "client_credentials") {
            rows.push(machines::client_credentials(&target, machine.clone()).await);
        }
        if wanted(&args, "dpop") {
            rows.push(machines::dpop(&target, machine).await?);
        }
    }
    if args.fill > 0 {
        let filled = fill::fill(&target, args.fill, 200).await?;
        println!(
            "filled: {} device codes in {:.1} s ({:.0}/s)",
            args.fill,
            filled.secs,
            args.fill as f64 / filled.secs
        );
        rows.push(filled.growing_row(args.fill, args.concurrency));
        rows.extend(fill::rows_at(&target, args.fill, &filled.codes).await);
    }
    let (peak_rss_kb, _) = memory_kb(pid);
    if args.fill > 0 {
        // Last: the server it starts is not the one whose memory is shown.
        server.crash_and_start(&args)?;
        rows.push(fill::restart(&target, args.fill).await?);
    }
    let mut report = Report {
        backend: if args.database_url.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
        .to_owned(),
        seconds: args.seconds,
        concurrency: args.concurrency,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        idle_rss_kb,
        peak_rss_kb,
        rows,
    };
    report.relate_to_health();
    report.print();
    report.write_json(&args.json)?;
    drop(server);
    Ok(())
}
