//! AuthGate: an OAuth 2.0 Device Authorization Grant server (RFC 8628).
//!
//! `main.rs` parses configuration and calls [`run`]; tests build the same
//! router with [`build_app`] and serve it on `127.0.0.1:0` with [`serve`].

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
pub mod server;
pub mod shutdown;
pub mod state;
pub mod store;
pub mod tasks;
pub mod telemetry;

pub use server::{ServeSettings, serve};

use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::crypto::random::Random;
use crate::state::AppState;

/// The complete HTTP application for `state`, as the binary serves it:
/// with `--dev`, live reload is added and assets are watched until the
/// returned guard is dropped (keep it for as long as the app serves).
pub fn build_app(state: AppState) -> anyhow::Result<(Router, Option<http::dev::DevReload>)> {
    let app = http::router(state.clone());
    if !state.http.dev {
        return Ok((app, None));
    }
    let (app, guard) = http::dev::wrap(app, &state.http.assets_dir)
        .map_err(|e| anyhow::anyhow!("--dev: cannot watch the assets for live reload: {e}"))?;
    tracing::info!(watching = %guard.watching.display(), "live reload on");
    Ok((app, Some(guard)))
}

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
    let prepared = AppState::prepare(&config, Arc::new(SystemClock), Random::os()).await?;
    let state = prepared.state;
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("SERVER_ADDR: cannot listen on {}: {e}", config.addr))?;
    tracing::info!(
        addr = %listener.local_addr()?,
        base_url = %config.base_url,
        database = state.core.store.backend().as_str(),
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
    let stop_tasks = CancellationToken::new();
    let metrics_server = serve_metrics(&config, &state, stop_tasks.clone()).await?;
    let limits = state.limits.clone();
    let metrics = state.core.metrics.clone();
    let stop_limits = stop_tasks.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(tasks::CLEANUP_PERIOD);
        loop {
            tokio::select! {
                () = stop_limits.cancelled() => break,
                _ = tick.tick() => {
                    limits.retain_recent();
                    metrics.upkeep();
                }
            }
        }
    });
    let cleanup = tasks::spawn_cleanup(
        (*state.core).clone(),
        tasks::CLEANUP_PERIOD,
        stop_tasks.clone(),
    );
    let caches = tasks::spawn_cache_upkeep((*state.core).clone(), stop_tasks.clone());
    let store = state.core.store.clone();
    let (app, reload) = build_app(state)?;
    let result = serve(listener, app, stop, ServeSettings::of(&config)).await;
    drop(reload);
    stop_tasks.cancel();
    let _ = cleanup.await;
    let _ = caches.await;
    if let Some(server) = metrics_server {
        let _ = server.await;
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(result?)
}

/// Starts the METRICS_ADDR listener when one is configured; it stops when
/// `stop` is cancelled.
async fn serve_metrics(
    config: &Config,
    state: &AppState,
    stop: CancellationToken,
) -> anyhow::Result<Option<tokio::task::JoinHandle<std::io::Result<()>>>> {
    let Some(addr) = config.metrics_addr.filter(|_| config.metrics) else {
        return Ok(None);
    };
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("METRICS_ADDR: cannot listen on {addr}: {e}"))?;
    tracing::info!(metrics_addr = %listener.local_addr()?, "metrics listening");
    let app = http::metrics::router(state.clone());
    Ok(Some(tokio::spawn(serve(
        listener,
        app,
        async move { stop.cancelled().await },
        ServeSettings::of(config),
    ))))
}
