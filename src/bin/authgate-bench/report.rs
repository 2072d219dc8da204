//! The report: a table on standard output and the same as JSON.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::measure::Row;

#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) backend: String,
    pub(crate) seconds: u64,
    pub(crate) concurrency: usize,
    pub(crate) cores: usize,
    pub(crate) idle_rss_kb: u64,
    pub(crate) peak_rss_kb: u64,
    pub(crate) rows: Vec<Row>,
}

impl Report {
    /// Sets each row's rate as a ratio to `/health` in the same run: the
    /// figure that survives a noisy, shared machine.
    pub(crate) fn relate_to_health(&mut self) {
        let health = self
            .rows
            .iter()
            .find(|r| r.scenario == "health")
            .map_or(0.0, |r| r.rps);
        for row in &mut self.rows {
            row.rps_vs_health = if health > 0.0 { row.rps / health } else { 0.0 };
        }
    }

    pub(crate) fn print(&self) {
        println!(
            "AuthGate benchmark: {} backend, {} s per scenario, {} connections, {} cores (load generator and server share them)",
            self.backend, self.seconds, self.concurrency, self.cores
        );
        println!(
            "{:<40} {:>10} {:>9} {:>9} {:>8} {:>10}",
            "scenario", "req/s", "p50 ms", "p99 ms", "errors", "vs health"
        );
        for r in &self.rows {
            println!(
                "{:<40} {:>10.0} {:>9.2} {:>9.2} {:>8} {:>9.2}x",
                r.scenario, r.rps, r.p50_ms, r.p99_ms, r.errors, r.rps_vs_health
            );
        }
        println!(
            "server memory: idle {:.1} MB, peak {:.1} MB",
            self.idle_rss_kb as f64 / 1024.0,
            self.peak_rss_kb as f64 / 1024.0
        );
    }

    pub(crate) fn write_json(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(self)?)?;
        println!("written to {}", path.display());
        Ok(())
    }
}
