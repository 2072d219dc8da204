//! `authgate health`: asks a running server's `/health` and exits 0 when
//! it is healthy, 1 otherwise — the container HEALTHCHECK, without curl.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::cli::parse_duration;

/// Options of `authgate health`.
#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    /// The health endpoint [default: http://127.0.0.1:PORT/health with the
    /// port of SERVER_ADDR, else 8080].
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// The server's listen address, whose port the default URL uses.
    #[arg(long, env = "SERVER_ADDR", value_name = "SERVER_ADDR")]
    pub addr: Option<SocketAddr>,

    /// Give up after this long.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// The URL to check: `--url`, else loopback on SERVER_ADDR's port (a
/// wildcard listen address is reached through loopback).
pub fn health_url(args: &HealthArgs) -> String {
    if let Some(url) = &args.url {
        return url.clone();
    }
    let addr = args
        .addr
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/health", SocketAddr::new(ip, addr.port()))
}

pub async fn run(args: HealthArgs) -> ExitCode {
    let url = health_url(&args);
    match check(&url, args.timeout).await {
        Ok(summary) => {
            let _ = writeln!(std::io::stdout().lock(), "{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("authgate: {url}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn check(url: &str, timeout: Duration) -> anyhow::Result<String> {
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("authgate-health/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let resp = http.get(url).send().await?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    let said = body["status"].as_str().unwrap_or("no status");
    anyhow::ensure!(
        status.is_success() && said == "healthy",
        "{status}, {said}{}{}",
        body["database"]
            .as_str()
            .map(|d| format!(", database {d}"))
            .unwrap_or_default(),
        body["reason"]
            .as_str()
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    );
    Ok(format!(
        "healthy: database {} ({} ms), version {}",
        body["database_kind"].as_str().unwrap_or("?"),
        body["database_latency_ms"],
        body["version"].as_str().unwrap_or("?")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_url_follows_server_addr() {
        let args = |addr: Option<&str>, url: Option<&str>| HealthArgs {
            url: url.map(str::to_owned),
            addr: addr.map(|a| a.parse().unwrap()),
            timeout: Duration::from_secs(5),
        };
        assert_eq!(
            health_url(&args(None, None)),
            "http://127.0.0.1:8080/health"
        );
        assert_eq!(
            health_url(&args(Some("0.0.0.0:9000"), None)),
            "http://127.0.0.1:9000/health"
        );
        assert_eq!(
            health_url(&args(Some("[::]:9000"), None)),
            "http://[::1]:9000/health"
        );
        assert_eq!(
            health_url(&args(Some("10.1.2.3:80"), Some("http://x/health"))),
            "http://x/health"
        );
    }
}
