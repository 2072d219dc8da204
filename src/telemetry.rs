//! Logging set-up: human-readable lines by default, JSON with
//! `LOG_FORMAT=json`; `RUST_LOG` filters as usual.

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Where log lines go: the server logs to stdout (what containers and
/// systemd collect); command-line tools log to stderr so their stdout stays
/// clean for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    Stderr,
}

pub fn init(format: LogFormat, sink: Sink) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let ansi = match sink {
        Sink::Stdout => std::io::IsTerminal::is_terminal(&std::io::stdout()),
        Sink::Stderr => std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let writer =
        tracing_subscriber::fmt::writer::BoxMakeWriter::new(move || -> Box<dyn std::io::Write> {
            match sink {
                Sink::Stdout => Box::new(std::io::stdout()),
                Sink::Stderr => Box::new(std::io::stderr()),
            }
        });
    // A log line that cannot be written (the log's disk is full, its pipe
    // closed) is dropped. By default the subscriber would report it with
    // `eprintln!`, which panics when stderr fails too — and a panic in the
    // writer task or a connection task stops the server from serving.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(writer)
        .log_internal_errors(false);
    // try_init: a second initialisation (tests) is not an error worth dying for.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// How often a warning that keeps repeating is logged again.
pub const REPEAT_EVERY_MS: i64 = 60_000;

/// A warning that would repeat many times a second while something stays
/// broken — the WAL checkpoint every 100 ms on a full or read-only disk,
/// the poll write-behind every second during an outage — and would drown
/// the log: logged when the failure starts, then at most once every
/// [`REPEAT_EVERY_MS`] with how many were held back, and once more when it
/// works again. Times are the caller's (milliseconds on any steady clock).
#[derive(Debug)]
pub struct Repeated {
    what: &'static str,
    failing_since_ms: Option<i64>,
    logged_at_ms: i64,
    held_back: u64,
}

impl Repeated {
    /// For failures of `what` ("the WAL checkpoint").
    pub const fn new(what: &'static str) -> Self {
        Self {
            what,
            failing_since_ms: None,
            logged_at_ms: 0,
            held_back: 0,
        }
    }

    /// Reports a failure at `now_ms`; `true` when it was logged.
    pub fn failed(&mut self, now_ms: i64, error: &dyn std::fmt::Display) -> bool {
        let Some(since) = self.failing_since_ms else {
            self.failing_since_ms = Some(now_ms);
            self.logged_at_ms = now_ms;
            self.held_back = 0;
            tracing::warn!(error = %error, "{} failed", self.what);
            return true;
        };
        if now_ms - self.logged_at_ms < REPEAT_EVERY_MS {
            self.held_back += 1;
            return false;
        }
        tracing::warn!(
            error = %error,
            failing_for_secs = (now_ms - since) / 1000,
            repeats_not_logged = self.held_back,
            "{} still fails",
            self.what
        );
        self.logged_at_ms = now_ms;
        self.held_back = 0;
        true
    }

    /// Reports a success at `now_ms`: ends a failure, saying so.
    pub fn succeeded(&mut self, now_ms: i64) {
        if let Some(since) = self.failing_since_ms.take() {
            tracing::info!(
                failed_for_secs = (now_ms - since) / 1000,
                "{} works again",
                self.what
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeating_failure_is_logged_once_a_minute() {
        let mut r = Repeated::new("the WAL checkpoint");
        assert!(r.failed(0, &"disk full"), "the first is logged");
        for t in (100..REPEAT_EVERY_MS).step_by(100) {
            assert!(!r.failed(t, &"disk full"));
        }
        assert!(
            r.failed(REPEAT_EVERY_MS, &"disk full"),
            "then once a minute"
        );
        assert_eq!(r.held_back, 0);
        r.succeeded(REPEAT_EVERY_MS + 100);
        assert!(
            r.failed(REPEAT_EVERY_MS + 200, &"disk full"),
            "a new failure"
        );
    }
}
