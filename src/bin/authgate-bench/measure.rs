//! Running one scenario: many workers for a fixed time, with a latency
//! histogram, summarised as one row of the report.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::sync::Mutex;

use crate::client::Conn;

#[derive(Debug, Serialize, Clone)]
pub(crate) struct Row {
    pub(crate) scenario: String,
    pub(crate) requests: u64,
    pub(crate) errors: u64,
    pub(crate) rps: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) rps_vs_health: f64,
}

/// A latency histogram in microseconds, 1 µs to 60 s.
pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

/// Runs `op` from `workers` tasks for `seconds`; `op` returns how many
/// requests it made and whether the answer was the expected one.
pub(crate) async fn measure<F, Fut>(
    name: &str,
    addr: SocketAddr,
    workers: usize,
    seconds: u64,
    op: F,
) -> Row
where
    F: Fn(Conn, usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = (u64, bool)> + Send,
{
    let op = Arc::new(op);
    let histogram = Arc::new(Mutex::new(histogram()));
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
