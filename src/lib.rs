//! AuthGate: an OAuth 2.0 Device Authorization Grant server (RFC 8628).
//!
//! `main.rs` parses configuration and calls [`run`], which binds
//! SERVER_ADDR and calls [`start`]; the integration tests call [`start`]
//! themselves on `127.0.0.1:0` with a manual clock. [`start`] is the one
//! way a server comes to life (see `start.rs`).

pub mod bootstrap;
pub mod cli;
pub mod client;
pub mod clock;
pub mod commands;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod model;
mod server;
pub mod shutdown;
mod start;
pub mod state;
pub mod store;
pub mod tasks;
pub mod telemetry;

pub use start::{Running, start};

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::crypto::random::Random;

/// `authgate migrate`: applies the embedded migrations and creates the
/// session table on `database_url`, then returns.
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    let pool = store::PoolSettings {
        max_connections: 1,
        ..store::PoolSettings::default()
    };
    let store = store::Store::connect(database_url, &pool).await?;
    let pending = store.pending_migrations().await?;
    store.migrate().await?;
    store.sessions().migrate().await?;
    tracing::info!(
        database = store.backend().as_str(),
        applied = ?pending,
        "the database schema is up to date"
    );
    store.close().await;
    Ok(())
}

/// Runs the server described by `config` until SIGINT or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    // Before anything is announced: a signal during start-up stops cleanly.
    let stop = shutdown::signal();
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("SERVER_ADDR: cannot listen on {}: {e}", config.addr))?;
    let running = start(&config, Arc::new(SystemClock), Random::os(), listener).await?;
    announce(&config, &running);
    stop.await;
    let result = running.shutdown().await;
    tracing::info!("stopped");
    result
}

/// The start-up lines: where the server listens (tests and scripts read
/// the address from the first), and which protections are on.
fn announce(config: &Config, running: &Running) {
    tracing::info!(
        addr = %running.addr(),
        base_url = %config.base_url,
        database = running.core().store.backend().as_str(),
        production = config.production,
        "AuthGate {} listening",
        cli::LONG_VERSION
    );
    tracing::info!(
        production = config.production,
        secure_cookies = config.secure_cookies(),
        hsts = config.secure_cookies(),
        signing_alg = %config.signing_alg,
        explicit_secrets = config.jwt_secret.is_some() && config.session_secret.is_some(),
        device_code_rate_limit_per_minute = config.rate_limit_device_code,
        trusted_proxies = config.trusted_proxies.len(),
        introspection_token = config.introspection_token.is_some(),
        dev_mode = config.dev,
        "protections: CSP without inline script, frame-ancestors none, CSRF tokens, \
         sign-in lock-outs, code-entry limits"
    );
    if config.accept_hs256 && config.signing_alg.is_asymmetric() {
        tracing::warn!(
            signing_alg = %config.signing_alg,
            "JWT_ACCEPT_HS256 is on: tokens signed with JWT_SECRET are accepted beside \
             {} ones; turn it off once the tokens of the Go AuthGate have expired",
            config.signing_alg
        );
    }
}
