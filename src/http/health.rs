//! `GET /health`: liveness with a real database round trip, answered
//! within [`DEADLINE`] whatever the database does.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use crate::state::AppState;

/// The longest `/health` waits for the database: a frozen or unreachable
/// database is reported (503) before a load balancer's or container
/// runtime's probe gives up (`authgate health` waits 5 s by default).
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `healthy` or `unhealthy`.
    #[schema(value_type = String, example = "healthy")]
    pub status: &'static str,
    /// `connected` or `unreachable`.
    #[schema(value_type = String, example = "connected")]
    pub database: &'static str,
    /// `sqlite` or `postgres`.
    #[schema(value_type = String, example = "sqlite")]
    pub database_kind: &'static str,
    pub database_latency_ms: f64,
    /// RFC 3339.
    pub timestamp: String,
    #[schema(value_type = String)]
    pub version: &'static str,
}

/// Liveness, with a round trip to the database.
#[utoipa::path(
    get,
    path = crate::http::paths::HEALTH,
    tag = "operations",
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 503, description = "The database is unreachable", body = Health),
    )
)]
pub async fn health(State(state): State<AppState>) -> Response {
    let core = &state.core;
    let started = core.clock.now_ms();
    #[allow(clippy::disallowed_methods)] // latency, not business time
    let timer = std::time::Instant::now();
    let ping = match tokio::time::timeout(DEADLINE, core.store.ping()).await {
        Ok(ping) => ping,
        Err(_) => Err(crate::store::Error::Unavailable(format!(
            "no answer within {DEADLINE:?}"
        ))),
    };
    let latency = timer.elapsed().as_secs_f64() * 1000.0;
    let timestamp = OffsetDateTime::from_unix_timestamp(started.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let (status, healthy, database) = match &ping {
        Ok(()) => (StatusCode::OK, "healthy", "connected"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "unhealthy", "unreachable")
        }
    };
    let body = Health {
        status: healthy,
        database,
        database_kind: core.store.backend().as_str(),
        database_latency_ms: (latency * 1000.0).round() / 1000.0,
        timestamp,
        version: env!("CARGO_PKG_VERSION"),
    };
    let mut response = (status, Json(body)).into_response();
    crate::http::error::no_store(response.headers_mut());
    response
}
