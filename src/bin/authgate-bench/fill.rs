//! `--fill N`: grows the database to N live pending device codes (as a
//! flood of device requests would), timing those requests by tenth of the
//! fill, then times, one request at a time, what must not grow with it: a
//! person's code entry, the admin overview, its live fragment and the first
//! device-codes page. Each of those rows' rate is that of sequential
//! requests; its p50 and p99 are what one person waits. Last, it kills the
//! server and times its restart on the full database.
#![allow(clippy::disallowed_methods)] // measuring wall time is the point

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Result, anyhow};
use hdrhistogram::Histogram;
use hyper::StatusCode;
use tokio::sync::Mutex;

use crate::client::{Browser, Conn, device_code, enter_code, wait_healthy};
use crate::measure::{Row, histogram};
use crate::scenarios::Target;

/// What the fill saw: the user codes of the last `keep` codes, how long it
/// took, and the latency of every request by the tenth of the fill it fell
/// in (the table was that much fuller), so a stall as the table grows shows
/// as a tenth whose p99 climbs.
pub(crate) struct Filled {
    pub(crate) codes: Vec<String>,
    pub(crate) secs: f64,
    tenths: Vec<Histogram<u64>>,
}

/// Issues device codes from the scenario's connections until `n` were
/// issued, timing each request.
pub(crate) async fn fill(t: &Target, n: usize, keep: usize) -> Result<Filled> {
    let issued = Arc::new(AtomicUsize::new(0));
    let kept = Arc::new(Mutex::new(Vec::with_capacity(keep)));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(t.workers);
    for _ in 0..t.workers {
        let conn = Conn::new(t.addr);
        let (issued, kept) = (issued.clone(), kept.clone());
        tasks.push(tokio::spawn(async move {
            let mut tenths = vec![histogram(); 10];
            loop {
                let i = issued.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(tenths);
                }
                let t0 = Instant::now();
                let dc = device_code(&conn).await?;
                let micros = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                if let Some(h) = tenths.get_mut(i * 10 / n) {
                    let _ = h.record(micros.max(1));
                }
                if i + keep >= n {
                    let code = dc["user_code"]
                        .as_str()
                        .ok_or_else(|| anyhow!("no user_code"))?;
                    kept.lock().await.push(code.to_owned());
                }
            }
        }));
    }
    let mut tenths = vec![histogram(); 10];
    for task in tasks {
        for (all, mine) in tenths.iter_mut().zip(task.await??) {
            let _ = all.add(&mine);
        }
    }
    let codes = std::mem::take(&mut *kept.lock().await);
    Ok(Filled {
        codes,
        secs: start.elapsed().as_secs_f64(),
        tenths,
    })
}

impl Filled {
    /// Prints each tenth's p50, p99 and worst request, then answers the row
    /// of the whole fill.
    pub(crate) fn growing_row(&self, n: usize, workers: usize) -> Row {
        let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        let mut all = histogram();
        for (k, h) in self.tenths.iter().enumerate() {
            println!(
                "  fill {:>3}-{:>3}%: p50 {:>6.2} ms, p99 {:>7.2} ms, max {:>7.1} ms",
                k * 10,
                k * 10 + 10,
                ms(h, 0.5),
                ms(h, 0.99),
                h.max() as f64 / 1000.0
            );
            let _ = all.add(h);
        }
        Row {
            scenario: format!(
                "device code requests while growing to {n} live codes ({workers} connections)"
            ),
            requests: all.len(),
            errors: 0,
            rps: n as f64 / self.secs.max(f64::EPSILON),
            p50_ms: ms(&all, 0.5),
            p99_ms: ms(&all, 0.99),
            rps_vs_health: 0.0,
        }
    }
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

/// The time from starting the server on the filled database (after a
/// crash, so SQLite first recovers its WAL) to its first healthy answer:
/// start-up reads what it keeps in memory, the pending codes' counts
/// among it.
pub(crate) async fn restart(t: &Target, live: usize) -> Result<Row> {
    let start = Instant::now();
    wait_healthy(&t.conn).await?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    Ok(Row {
        scenario: format!("restart after a crash ({live} live codes), until healthy"),
        requests: 1,
        errors: 0,
        rps: 0.0,
        p50_ms: ms,
        p99_ms: ms,
        rps_vs_health: 0.0,
    })
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
