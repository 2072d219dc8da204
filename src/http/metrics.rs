//! `GET /metrics` (Prometheus text format) and the middleware that counts
//! and times every request by route template and status.
//!
//! The route label is the matched template (`/admin/users/{id}`), never
//! the raw path: an outer layer puts an empty [`RouteSlot`] in the request,
//! a `route_layer` (which runs only for matched routes, after axum has set
//! [`MatchedPath`]) fills it, and the outer layer reads it once the
//! response exists, so answers made by outer layers (503 from the timeout,
//! 500 from a caught panic) still carry their route. Unmatched paths are
//! counted as `route="unmatched"`.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::ExposeSecret;

use crate::http::paths;
use crate::metrics::Metrics;
use crate::state::AppState;

/// Prometheus text exposition format 0.0.4.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Where the route-level layer leaves the matched route for the outer one.
#[derive(Clone, Default)]
pub struct RouteSlot(Arc<OnceLock<MatchedPath>>);

/// Outer layer: counts and times every request.
pub async fn track(State(metrics): State<Metrics>, mut req: Request, next: Next) -> Response {
    let slot = RouteSlot::default();
    req.extensions_mut().insert(slot.clone());
    let method = method_label(req.method());
    #[allow(clippy::disallowed_methods)] // latency, not business time
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    let route = slot.0.get().map_or("unmatched", MatchedPath::as_str);
    metrics.http_request(method, route, response.status().as_u16(), started.elapsed());
    response
}

/// Route layer: records which route matched.
pub async fn mark_route(req: Request, next: Next) -> Response {
    if let (Some(slot), Some(matched)) = (
        req.extensions().get::<RouteSlot>(),
        req.extensions().get::<MatchedPath>(),
    ) {
        let _ = slot.0.set(matched.clone());
    }
    next.run(req).await
}

/// Methods outside the usual ones share a label, so a client inventing
/// methods cannot create series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The `/metrics` route for the main router, or nothing when metrics are
/// off or served on METRICS_ADDR (then `/metrics` is a 404 there).
pub fn public_route(state: &AppState) -> Router<AppState> {
    if state.http.metrics_on_main {
        Router::new().route(paths::METRICS, get(scrape))
    } else {
        Router::new()
    }
}

/// The whole app of the separate METRICS_ADDR listener.
pub fn router(state: AppState) -> Router {
    let metrics = state.core.metrics.clone();
    Router::new()
        .route(paths::METRICS, get(scrape))
        .route_layer(axum::middleware::from_fn(mark_route))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(metrics, track))
}

/// `GET /metrics`: the pool gauges are read now, then everything rendered.
/// With METRICS_TOKEN set, anything but `Authorization: Bearer <token>`
/// gets 401.
pub async fn scrape(State(state): State<AppState>, req: Request) -> Response {
    if let Some(expected) = &state.http.metrics_token {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !crate::crypto::constant_time_eq(
            presented.trim().as_bytes(),
            expected.expose_secret().as_bytes(),
        ) {
            return (
                StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer realm="metrics""#),
                )],
                "a bearer token is required\n",
            )
                .into_response();
        }
    }
    let metrics = &state.core.metrics;
    metrics.set_pool(state.core.store.pool_stats());
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        metrics.render(),
    )
        .into_response()
}
