//! The HTTP layer: routes, middleware order, and the mapping of errors to
//! responses. Handlers are thin: extract, call one domain function, render.

pub mod error;
pub mod extract;
pub mod health;
pub mod oauth;
pub mod paths;

use std::any::Any;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::domain::Error;
use crate::state::AppState;
use error::ApiError;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// All routes with their middleware. Outermost first: request id, tracing,
/// panic catching, timeout, body limit.
pub fn router(state: AppState) -> Router {
    let timeout = state.http.request_timeout;
    let body_limit = state.http.body_limit;
    let routes = Router::new()
        .route(paths::HEALTH, get(health::health))
        .route(
            paths::DEVICE_AUTHORIZATION,
            post(oauth::device_code::request_device_code),
        )
        .route(paths::TOKEN, post(oauth::token::token))
        .route(paths::TOKEN_INFO, get(oauth::tokeninfo::tokeninfo))
        .fallback(not_found)
        .with_state(state);

    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<_>| {
            let request_id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!(
                "request",
                method = %req.method(),
                path = %req.uri().path(),
                request_id = %request_id,
            )
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO));

    routes.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(trace)
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                timeout,
            ))
            .layer(DefaultBodyLimit::max(body_limit)),
    )
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({
            "error": "not_found",
            "error_description": "no such endpoint",
        })),
    )
        .into_response()
}

/// A panic is a bug: log it and answer like any other internal error.
fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError(Error::Internal("handler panicked".into())).into_response()
}
