//! Development-only hot reload (`authgate server --dev`).
//!
//! tower-livereload injects a small script into full HTML pages (never into
//! htmx fragments, which would stack copies of it) and notify watches
//! `assets/`: a rebuilt stylesheet or an edited script reloads the browser.
//! When the server itself restarts (after a Rust change), the script's event
//! stream reconnects and the page reloads too. None of this is active
//! without `--dev`.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tower_livereload::LiveReloadLayer;

/// Keeps the file watcher alive; dropping it stops reloads.
pub struct DevReload {
    _watcher: RecommendedWatcher,
    pub watching: PathBuf,
}

impl std::fmt::Debug for DevReload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevReload")
            .field("watching", &self.watching)
            .finish()
    }
}

/// htmx requests get fragments: injecting the script there would add one
/// more copy with every swap.
fn is_full_page_request(req: &Request<Body>) -> bool {
    !req.headers().contains_key("hx-request")
}

/// Adds live reload to `router` and starts watching `assets_dir`.
pub fn wrap(router: Router, assets_dir: &Path) -> notify::Result<(Router, DevReload)> {
    let layer = LiveReloadLayer::new().request_predicate(is_full_page_request);
    let reloader = layer.reloader();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && (event.kind.is_modify() || event.kind.is_create() || event.kind.is_remove())
        {
            tracing::debug!(paths = ?event.paths, "asset changed; reloading browsers");
            reloader.reload();
        }
    })?;
    watcher.watch(assets_dir, RecursiveMode::Recursive)?;
    tracing::warn!(dir = %assets_dir.display(), "development mode: assets from disk, live reload on");
    Ok((
        router.layer(layer),
        DevReload {
            _watcher: watcher,
            watching: assets_dir.to_owned(),
        },
    ))
}
