//! Serving a router over TCP: the one accept loop of every server that
//! [`crate::start`] starts (the app's, and METRICS_ADDR's), with the limits
//! `axum::serve` has no setting for.
//!
//! - **Header-read timeout.** A connection must deliver a request's complete
//!   headers within [`ServeSettings::header_read_timeout`] of starting it, or
//!   it is closed (hyper's deadline is fixed when the head starts, so
//!   trickling a byte at a time does not extend it). The same deadline
//!   covers a new connection that has sent nothing yet and an idle
//!   keep-alive connection waiting for its next request. Without it, a
//!   client that sends half a request holds its connection, and a file
//!   descriptor, for as long as it likes (slowloris). Connections are
//!   served by hyper's HTTP/1 builder directly: hyper-util's `auto` builder
//!   (which `axum::serve` uses) first waits for bytes to tell HTTP/1 from
//!   HTTP/2, with no deadline, so a connection that never sends a byte
//!   would be held for ever. AuthGate speaks HTTP/1.1 only.
//! - **Connection cap.** At most [`ServeSettings::max_connections`] are open
//!   at once: each holds a semaphore permit, and the loop takes a permit
//!   before it accepts, so when all are in use new connections wait in the
//!   kernel's listen backlog until one closes, instead of exhausting file
//!   descriptors or memory.
//! - **Graceful shutdown.** When `shutdown` resolves the loop stops
//!   accepting, each connection finishes its request in flight and closes
//!   (idle ones at once), and the call returns when all are closed — which
//!   is when every permit is back — or after the grace period.
//!
//! Handlers still see the peer address (`ConnectInfo<SocketAddr>`, read by
//! `ClientIp`): each connection's service comes from the router's
//! `into_make_service_with_connect_info`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::{Service, ServiceExt};

use crate::config::Config;

/// How [`serve`] treats connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeSettings {
    /// After shutdown starts, how long requests in flight may still take.
    pub grace: Duration,
    /// The longest a connection may take to send a request's headers, or
    /// stay idle between requests (HEADER_READ_TIMEOUT).
    pub header_read_timeout: Duration,
    /// The most connections open at once (MAX_CONNECTIONS); at least 1.
    pub max_connections: u32,
}

impl ServeSettings {
    /// The settings `config` asks for.
    pub fn of(config: &Config) -> Self {
        Self {
            grace: config.shutdown_timeout,
            header_read_timeout: config.header_read_timeout,
            max_connections: config.max_connections,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops
/// accepting and gives in-flight requests up to `settings.grace` to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    settings: ServeSettings,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(settings.max_connections.max(1) as usize));
    let mut builder = Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
    let builder = Arc::new(builder);
    let mut make_service = app.into_make_service_with_connect_info::<SocketAddr>();
    let stopping = CancellationToken::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A free slot first: while none is, connections wait in the backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(ready) = ServiceExt::<SocketAddr>::ready(&mut make_service).await;
        let Ok(service) = ready.call(remote).await;
        let service = TowerToHyperService::new(
            service.map_request(|req: Request<Incoming>| req.map(Body::new)),
        );
        let builder = builder.clone();
        let stopping = stopping.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                () = stopping.cancelled() => {
                    // Finish the request in flight, if any, then close.
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                // Timeouts and clients that hang up: routine, not news.
                tracing::debug!(%remote, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    stopping.cancel();
    // Every connection holds a slot until it closes: all slots back means
    // all connections are done.
    let all = settings.max_connections.max(1);
    if tokio::time::timeout(settings.grace, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            grace = ?settings.grace,
            "in-flight requests did not finish in time; closing them"
        );
    }
    Ok(())
}

/// As hyper and axum do: a connection that failed before it was accepted
/// is the client's business; anything else (such as running out of file
/// descriptors) is logged, and accepting pauses for a second so that it
/// does not spin.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
