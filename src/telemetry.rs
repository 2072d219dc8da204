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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(writer);
    // try_init: a second initialisation (tests) is not an error worth dying for.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
