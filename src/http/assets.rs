//! Static assets: the compiled Tailwind CSS, htmx, our small script and
//! the passkey ceremonies' script.
//!
//! They are embedded in the binary, so a release needs no files beside it,
//! and served under content-hashed URLs with a year-long cache. With
//! `--dev` they are read from disk on every request instead, so an edited
//! file shows on reload without rebuilding.
//!
//! `assets/dist/app.css` is built by Tailwind from `assets/src/app.css`
//! and the classes used in the Rust sources (`make css`; the theme is in
//! `tailwind.config.js`) and committed, so building the server needs no
//! Node; `make css-check` (part of `make test`) fails when it is stale.
//! htmx 2 is vendored in `assets/vendor/`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::http::paths;
use crate::state::AppState;

struct Asset {
    name: &'static str,
    /// Path below `assets/` in the source tree.
    source: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: [Asset; 5] = [
    Asset {
        name: "app.css",
        source: "dist/app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/dist/app.css"),
    },
    Asset {
        name: "htmx.min.js",
        source: "vendor/htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/htmx.min.js"),
    },
    Asset {
        name: "app.js",
        source: "src/app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/src/app.js"),
    },
    Asset {
        name: "passkey.js",
        source: "src/passkey.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/src/passkey.js"),
    },
    Asset {
        name: "favicon.svg",
        source: "src/favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../assets/src/favicon.svg"),
    },
];

fn version(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..6])
}

fn url(name: &str, bytes: &[u8]) -> String {
    format!("{}/{name}?v={}", paths::ASSETS, version(bytes))
}

/// The asset URLs pages link to, each carrying a hash of its content.
pub fn versioned_urls() -> components::Assets {
    let [css, htmx, app_js, passkey_js, icon] = &ASSETS;
    components::Assets {
        css: url(css.name, css.bytes),
        htmx: url(htmx.name, htmx.bytes),
        app_js: url(app_js.name, app_js.bytes),
        icon: url(icon.name, icon.bytes),
        passkey_js: url(passkey_js.name, passkey_js.bytes),
    }
}

/// `GET /assets/{name}`.
pub async fn serve(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (body, cache) = if state.http.dev {
        match tokio::fs::read(state.http.assets_dir.join(asset.source)).await {
            Ok(bytes) => (Body::from(bytes), "no-cache"),
            Err(_) => (Body::from(asset.bytes), "no-cache"),
        }
    } else {
        (
            Body::from(asset.bytes),
            "public, max-age=31536000, immutable",
        )
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
