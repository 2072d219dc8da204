//! `--fill N`: grows the database to N live pending device codes (as a
//! flood of device requests would), then times, one request at a time,
//! what must not grow with it: a person's code entry, the admin overview,
//! its live fragment and the first device-codes page. Each row's rate is
//! that of sequential requests; its p50 and p99 are what one person waits.
#![allow(clippy::disallowed_methods)] // measuring wall time is the point

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Result, anyhow};
use hyper::StatusCode;
use tokio::sync::Mutex;

use crate::client::{Browser, Conn, device_code, enter_code};
use crate::measure::Row;
use crate::scenarios::Target;

/// Issues device codes from the scenario's connections until `n` were
/// issued; answers the user codes of the last `keep` and the time it took.
pub(crate) async fn fill(t: &Target, n: usize, keep: usize) -> Result<(Vec<String>, f64)> {
    let issued = Arc::new(AtomicUsize::new(0));
    let kept = Arc::new(Mutex::new(Vec::with_capacity(keep)));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(t.workers);
    for _ in 0..t.workers {
        let conn = Conn::new(t.addr);
        let (issued, kept) = (issued.clone(), kept.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = issued.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(());
                }
                let dc = device_code(&conn).await?;
                if i + keep >= n {
                    let code = dc["user_code"]
                        .as_str()
                        .ok_or_else(|| anyhow!("no user_code"))?;
                    kept.lock().await.push(code.to_owned());
                }
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    let codes = std::mem::take(&mut *kept.lock().await);
    Ok((codes, start.elapsed().as_secs_f64()))
}

/// Times `samples` sequential runs of `op`, which answers whether the
/// response was the expected one.
async fn timed<F, Fut>(name: String, samples: usize, mut op: F) -> Row
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut micros = Vec::with_capacity(samples);
    let mut errors = 0;
    let start = Instant::now();
    for i in 0..samples {
        let t0 = Instant::now();
        if !op(i).await {
            errors += 1;
        }
        micros.push(t0.elapsed().as_micros());
    }
    let elapsed = start.elapsed().as_secs_f64();
    micros.sort_unstable();
    let at = |q: f64| {
        let i = ((micros.len() as f64 - 1.0) * q).round() as usize;
        micros.get(i).copied().unwrap_or(0) as f64 / 1000.0
    };
    Row {
        scenario: name,
        requests: samples as u64,
        errors,
        rps: samples as f64 / elapsed.max(f64::EPSILON),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        rps_vs_health: 0.0,
    }
}

/// The rows of a filled database: see the module doc.
pub(crate) async fn rows_at(t: &Target, live: usize, codes: &[String]) -> Vec<Row> {
    let conn = Conn::new(t.addr);
    let admin: &Browser = &t.browser;
    let at = format!("{live} live codes");
    let mut rows = Vec::new();
    rows.push(
        timed(format!("code entry ({at})"), codes.len(), |i| {
            let (conn, code) = (&conn, codes[i].as_str());
            async move {
                matches!(enter_code(conn, admin, code).await, Ok((s, _)) if s == StatusCode::OK)
            }
        })
        .await,
    );
    for (name, path) in [
        ("admin overview", "/admin"),
        ("admin live fragment", "/admin/live"),
        ("admin device-codes page", "/admin/device-codes"),
    ] {
        rows.push(
            timed(format!("{name} ({at})"), 20, |_| {
                let conn = &conn;
                async move {
                    matches!(conn.get_as(path, admin).await, Ok((s, _)) if s == StatusCode::OK || s == StatusCode::NO_CONTENT)
                }
            })
            .await,
        );
    }
    rows
}
