//! Waiting for the signal to stop: SIGINT (Ctrl-C) or SIGTERM.

use std::future::Future;

/// Starts listening for SIGINT and SIGTERM at once, and returns a future
/// that resolves when either arrives.
///
/// The handlers are installed by this call, not when the future is first
/// polled: the server announces that it listens (and answers `/health`)
/// before the graceful-shutdown future runs, and a SIGTERM in between must
/// start a clean shutdown, not kill the process with the default action.
pub fn signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let (mut interrupt, mut terminate) = match (interrupt, terminate) {
                (Ok(i), Ok(t)) => (i, t),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::error!(error = %e, "cannot listen for SIGINT or SIGTERM");
                    return std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("received SIGINT, shutting down"),
                _ = terminate.recv() => tracing::info!("received SIGTERM, shutting down"),
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if let Err(e) = tokio::signal::ctrl_c().await {
                tracing::error!(error = %e, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
            tracing::info!("received Ctrl-C, shutting down");
        }
    }
}
