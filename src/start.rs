//! Starting a server: the one path from configuration, clock, randomness
//! and a bound listener to an app that serves, with every background task
//! it needs.
//!
//! The binary ([`crate::run`]) and the integration tests start here, and
//! the end-to-end suite and the benchmark run the binary; so a test cannot
//! pass on an app, or a set of background tasks, that the binary never
//! builds. What differs between them is only what they pass in: the
//! binary a wall clock and the listener on SERVER_ADDR, the tests a manual
//! clock and a listener on `127.0.0.1:0` bound first (so its address is
//! known, and no test waits for start-up).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::bootstrap::Seeded;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::crypto::random::Random;
use crate::domain::Core;
use crate::http;
use crate::server::{ServeSettings, serve};
use crate::state::{AppState, Prepared};
use crate::tasks;

/// The complete HTTP application for `state`, as every server serves it:
/// with `--dev`, live reload is added and assets are watched until the
/// returned guard is dropped (kept for as long as the app serves).
fn build_app(state: AppState) -> anyhow::Result<(Router, Option<http::dev::DevReload>)> {
    let app = http::router(state.clone());
    if !state.http.dev {
        return Ok((app, None));
    }
    let (app, guard) = http::dev::wrap(app, &state.http.assets_dir)
        .map_err(|e| anyhow::anyhow!("--dev: cannot watch the assets for live reload: {e}"))?;
    tracing::info!(watching = %guard.watching.display(), "live reload on");
    Ok((app, Some(guard)))
}

/// A server that [`start`] started: where it listens, its state, and the
/// means to stop it.
///
/// Dropping the handle starts a graceful stop, as [`Running::stop`] does,
/// without waiting for it: a handle lost (say, by a test that fails
/// half-way) leaves no server running on its own.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    state: AppState,
    seeded: Seeded,
    /// Cancels the stop token when dropped; [`Running::wait`] disarms it.
    stop: DropGuard,
    done: JoinHandle<std::io::Result<()>>,
}

/// Prepares the state for `config` (connects, migrates, seeds: see
/// `AppState::prepare`), builds the app (`build_app`) and serves it on
/// `listener` in a task of its own, beside every background task
/// (`tasks::spawn_all`) and, with METRICS_ADDR, the metrics listener.
/// Returns once the app serves.
///
/// # Errors
/// Whatever stops the start: the database cannot be reached, migrated or
/// written, the secrets or keys cannot be loaded, `--dev` cannot watch the
/// assets, METRICS_ADDR cannot be bound. The database is closed again
/// when the failure comes after it was opened.
pub async fn start(
    config: &Config,
    clock: SharedClock,
    random: Random,
    listener: TcpListener,
) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    let Prepared { state, seeded } = AppState::prepare(config, clock, random).await?;
    let stop_tasks = CancellationToken::new();
    let started = async {
        let (app, reload) = build_app(state.clone())?;
        let metrics = serve_metrics(config, &state, stop_tasks.clone()).await?;
        anyhow::Ok((app, reload, metrics))
    };
    let (app, reload, metrics) = match started.await {
        Ok(started) => started,
        Err(e) => {
            state.core.store.close().await;
            return Err(e);
        }
    };
    let metrics_addr = metrics.as_ref().map(|(addr, _)| *addr);
    let upkeep = tasks::spawn_all(&state, config.cleanup_period, &stop_tasks);
    let stop = CancellationToken::new();
    let server = serve(
        listener,
        app,
        stop.clone().cancelled_owned(),
        ServeSettings::of(config),
    );
    let store = state.core.store.clone();
    let done = tokio::spawn(async move {
        let result = server.await;
        // The server has drained: the tasks may stop now (the poll
        // write-behind writes what the last requests left), then the
        // database closes.
        drop(reload);
        stop_tasks.cancel();
        upkeep.join().await;
        if let Some((_, metrics)) = metrics {
            let failed = match metrics.await {
                Ok(result) => result.err().map(|e| e.to_string()),
                Err(e) => Some(e.to_string()),
            };
            if let Some(error) = failed {
                tracing::error!(%error, "the metrics listener failed");
            }
        }
        store.close().await;
        result
    });
    Ok(Running {
        addr,
        metrics_addr,
        state,
        seeded,
        stop: stop.drop_guard(),
        done,
    })
}

impl Running {
    /// The address the app serves on (the listener's, so the real port
    /// when it was bound to port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where /metrics is served apart, when METRICS_ADDR is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The state the app serves from.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The domain core: store, clock, keys, metrics.
    pub fn core(&self) -> &Arc<Core> {
        &self.state.core
    }

    /// What start-up created: the CLI client's id, and the administrator's
    /// password when one was generated.
    pub fn seeded(&self) -> &Seeded {
        &self.seeded
    }

    /// Asks the server to stop: it stops accepting, lets requests in
    /// flight finish (up to SHUTDOWN_TIMEOUT), then stops its background
    /// tasks and closes the database. Returns at once; [`Running::wait`]
    /// waits for all of it.
    pub fn stop(&self) {
        self.stop.token().cancel();
    }

    /// Waits until the server has stopped (after [`Running::stop`]): every
    /// connection closed, every background task ended, the database
    /// closed.
    ///
    /// # Errors
    /// The server's own failure, or its task's panic.
    pub async fn wait(self) -> anyhow::Result<()> {
        // Waiting is not stopping: keep the guard from cancelling.
        let _token = self.stop.disarm();
        self.done
            .await
            .map_err(|e| anyhow::anyhow!("the server task failed: {e}"))??;
        Ok(())
    }

    /// [`Running::stop`], then [`Running::wait`].
    ///
    /// # Errors
    /// As [`Running::wait`].
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.stop();
        self.wait().await
    }
}

/// A metrics listener's address and the task serving it.
type MetricsServer = (SocketAddr, JoinHandle<std::io::Result<()>>);

/// Starts the METRICS_ADDR listener when one is configured; it stops when
/// `stop` is cancelled.
async fn serve_metrics(
    config: &Config,
    state: &AppState,
    stop: CancellationToken,
) -> anyhow::Result<Option<MetricsServer>> {
    let Some(addr) = config.metrics_addr.filter(|_| config.metrics) else {
        return Ok(None);
    };
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("METRICS_ADDR: cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    tracing::info!(metrics_addr = %bound, "metrics listening");
    let app = http::metrics::router(state.clone());
    let server = tokio::spawn(serve(
        listener,
        app,
        stop.cancelled_owned(),
        ServeSettings::of(config),
    ));
    Ok(Some((bound, server)))
}
