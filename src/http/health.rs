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
    /// `healthy`; `degraded` when the database answers reads but writes
    /// fail (a full disk, a read-only database); `unhealthy` when it does
    /// not answer.
    #[schema(value_type = String, example = "healthy")]
    pub status: &'static str,
    /// `connected` or `unreachable`.
    #[schema(value_type = String, example = "connected")]
    pub database: &'static str,
    /// `sqlite` or `postgres`.
    #[schema(value_type = String, example = "sqlite")]
    pub database_kind: &'static str,
    pub database_latency_ms: f64,
    /// `ok` or `failing`: how the last write went — a request's, or when
    /// there was none for a few seconds, a small write of the server's own.
    #[schema(value_type = String, example = "ok")]
    pub writes: &'static str,
    /// How long ago a write was last tried, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub writes_checked_ms_ago: Option<u64>,
    /// Why the status is not `healthy` (a short cause; details are logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable = false, example = "the database or its disk is full")]
    pub reason: Option<&'static str>,
    /// RFC 3339.
    pub timestamp: String,
    #[schema(value_type = String)]
    pub version: &'static str,
}

/// Liveness: a round trip to the database and the state of writes, within
/// [`DEADLINE`].
#[utoipa::path(
    get,
    path = crate::http::paths::HEALTH,
    tag = "operations",
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 503, description = "The database is unreachable (`unhealthy`), or writes fail (`degraded`)", body = Health),
    )
)]
pub async fn health(State(state): State<AppState>) -> Response {
    let core = &state.core;
    let started = core.clock.now_ms();
    let read = async {
        #[allow(clippy::disallowed_methods)] // latency, not business time
        let timer = std::time::Instant::now();
        let ping = match tokio::time::timeout(DEADLINE, core.store.ping()).await {
            Ok(ping) => ping,
            Err(_) => Err(crate::store::Error::Unavailable(crate::store::Outage::new(
                "the database did not answer in time",
                format!("no answer within {DEADLINE:?}"),
            ))),
        };
        (ping, timer.elapsed().as_secs_f64() * 1000.0)
    };
    let ((ping, latency), writes) = tokio::join!(read, core.store.writes(DEADLINE));
    let timestamp = OffsetDateTime::from_unix_timestamp(started.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let (status, healthy, database, reason) = match (&ping, &writes.failure) {
        (Err(e), _) => {
            tracing::error!(error = %e, "health check: database unreachable");
            let cause = e.outage().map_or("the database failed", |o| o.cause);
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "unhealthy",
                "unreachable",
                Some(cause),
            )
        }
        (Ok(()), Some(outage)) => {
            tracing::error!(error = %outage, "health check: writes fail");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "degraded",
                "connected",
                Some(outage.cause),
            )
        }
        (Ok(()), None) => (StatusCode::OK, "healthy", "connected", None),
    };
    let body = Health {
        status: healthy,
        database,
        database_kind: core.store.backend().as_str(),
        database_latency_ms: (latency * 1000.0).round() / 1000.0,
        writes: if writes.failure.is_some() {
            "failing"
        } else {
            "ok"
        },
        writes_checked_ms_ago: writes
            .checked_ago
            .map(|age| u64::try_from(age.as_millis()).unwrap_or(u64::MAX)),
        reason,
        timestamp,
        version: env!("CARGO_PKG_VERSION"),
    };
    let mut response = (status, Json(body)).into_response();
    crate::http::error::no_store(response.headers_mut());
    response
}
