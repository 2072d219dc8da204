//! The HTTP layer: routes, middleware order, and the mapping of errors to
//! responses. Handlers are thin: extract, call one domain function, render.

pub mod admin;
pub mod assets;
pub mod dev;
pub mod error;
pub mod extract;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod oauth;
pub mod openapi;
pub mod paths;
pub mod security_headers;
pub mod ui;

use std::any::Any;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderName, Request, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::service::SignedCookie;
use tower_sessions::{Expiry, SessionManagerLayer};
use tracing::Level;

use crate::domain::Error;
use crate::state::AppState;
use crate::store::Sessions;
use error::ApiError;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// All routes with their middleware. Outermost first: request id,
/// request metrics (see metrics.rs), security headers, tracing, panic
/// catching, timeout, body limit; browser pages also get the session
/// layer, the JSON API does not.
pub fn router(state: AppState) -> Router {
    let timeout = state.http.request_timeout;
    let body_limit = state.http.body_limit;
    let https = state.http.secure_cookies;
    let dev = state.http.dev;
    let request_metrics = state.core.metrics.clone();
    let pages = Router::new()
        .route(paths::HOME, get(ui::login::home))
        .route(paths::LOGIN, get(ui::login::show).post(ui::login::submit))
        .route(
            paths::LOGIN_CODE,
            get(ui::login_code::show).post(ui::login_code::submit),
        )
        .route(
            paths::LOGIN_STEP_UP,
            get(ui::step_up::show).post(ui::step_up::submit),
        )
        .route(
            paths::LOGIN_STEP_UP_PASSKEY_OPTIONS,
            post(ui::step_up_passkey::options),
        )
        .route(
            paths::LOGIN_STEP_UP_PASSKEY,
            post(ui::step_up_passkey::finish),
        )
        .route(
            paths::LOGIN_PASSKEY_OPTIONS,
            post(ui::passkey_login::options),
        )
        .route(paths::LOGIN_PASSKEY, post(ui::passkey_login::finish))
        .route(
            paths::LOGIN_PASSKEY_STEP_OPTIONS,
            post(ui::passkey_login::step_options),
        )
        .route(
            paths::LOGIN_PASSKEY_STEP,
            post(ui::passkey_login::step_finish),
        )
        .route(paths::LOGIN_RECOVERY, post(ui::login_code::submit_recovery))
        .route(paths::LOGOUT, post(ui::login::logout))
        .route(paths::LOGIN_UPSTREAM, get(ui::upstream::start))
        .route(paths::LOGIN_UPSTREAM_CALLBACK, get(ui::upstream::callback))
        .route(
            paths::LOGIN_LINK,
            get(ui::upstream_link::show).post(ui::upstream_link::confirm),
        )
        .route(
            paths::ACCOUNT_UPSTREAM_UNLINK,
            post(ui::upstream_link::unlink),
        )
        .route(
            paths::ACCOUNT_UPSTREAM_LINK,
            post(ui::upstream_link::start_link),
        )
        .route(
            paths::DEVICE,
            get(ui::device::show).post(ui::device::submit_code),
        )
        .route(paths::DEVICE_DECISION, post(ui::device::decide))
        .route(paths::DEVICE_RESULT, get(ui::device::result))
        .route(paths::AUTHORIZE, get(ui::authorize::authorize))
        .route(paths::AUTHORIZE_DECISION, post(ui::authorize::decide))
        .route(
            paths::END_SESSION,
            get(ui::end_session::end_session).post(ui::end_session::end_session_post),
        )
        .route(paths::ACCOUNT, get(ui::account::show))
        .route(paths::ACCOUNT_REVOKE, post(ui::account::revoke))
        .route(paths::ACCOUNT_PROFILE, post(ui::account_profile::set_name))
        .route(paths::ACCOUNT_APP_REVOKE, post(ui::account::revoke_app))
        .route(paths::ACCOUNT_TWO_STEP_START, post(ui::two_step::start))
        .route(paths::ACCOUNT_TWO_STEP_CONFIRM, post(ui::two_step::confirm))
        .route(paths::ACCOUNT_TWO_STEP_REMOVE, post(ui::two_step::remove))
        .route(paths::ACCOUNT_PASSKEYS_OPTIONS, post(ui::passkeys::options))
        .route(paths::ACCOUNT_PASSKEYS, post(ui::passkeys::register))
        .route(paths::ACCOUNT_PASSKEY_RENAME, post(ui::passkeys::rename))
        .route(paths::ACCOUNT_PASSKEY_DELETE, post(ui::passkeys::delete))
        .route(
            paths::ACCOUNT_RECOVERY_CODES,
            post(ui::recovery::regenerate),
        )
        .merge(admin::routes())
        .layer(session_layer(&state))
        .layer(axum::middleware::from_fn(unsaved_sessions));
    let routes = Router::new()
        .route(paths::HEALTH, get(health::health))
        .route(
            paths::DEVICE_AUTHORIZATION,
            post(oauth::device_code::request_device_code),
        )
        .route(paths::TOKEN, post(oauth::token::token))
        .route(paths::TOKEN_INFO, get(oauth::tokeninfo::tokeninfo))
        .route(paths::REVOKE, post(oauth::revoke::revoke))
        .route(paths::INTROSPECT, post(oauth::introspect::introspect))
        .route(
            paths::USERINFO,
            get(oauth::userinfo::userinfo_get).post(oauth::userinfo::userinfo_post),
        )
        .route(paths::REGISTRATION, post(oauth::register::register))
        .route(
            paths::REGISTRATION_CLIENT,
            get(oauth::register::read)
                .put(oauth::register::update)
                .delete(oauth::register::delete),
        )
        .route(paths::METADATA, get(oauth::metadata::metadata))
        .route(paths::OPENID_CONFIGURATION, get(oauth::metadata::metadata))
        .route(paths::JWKS, get(oauth::metadata::jwks))
        .route(paths::OPENAPI, get(openapi::openapi))
        .route(paths::ASSET, get(assets::serve))
        .merge(pages)
        .merge(metrics::public_route(&state))
        .route_layer(axum::middleware::from_fn(metrics::mark_route))
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

    let inner = routes.layer(
        ServiceBuilder::new()
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(trace)
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(axum::middleware::from_fn_with_state(timeout, deadline))
            .layer(DefaultBodyLimit::max(body_limit)),
    );
    security_headers::apply(inner, https, dev)
        .layer(axum::middleware::from_fn_with_state(
            request_metrics,
            metrics::track,
        ))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Browser sessions: signed cookie, `HttpOnly`, `SameSite=Lax`, `Secure`
/// behind https, expiring after the configured inactivity.
fn session_layer(state: &AppState) -> SessionManagerLayer<Sessions, SignedCookie> {
    let lifetime = time::Duration::seconds(
        i64::try_from(state.http.session_lifetime.as_secs()).unwrap_or(i64::MAX),
    );
    SessionManagerLayer::new(state.sessions.clone())
        .with_name("authgate_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.http.secure_cookies)
        .with_expiry(Expiry::OnInactivity(lifetime))
        .with_signed(state.http.session_key.clone())
}

/// Whether the answer to a request to `uri` is JSON (the OAuth and
/// discovery endpoints, health, or a client asking for JSON) rather than
/// a page for people.
fn wants_json(uri: &Uri, headers: &HeaderMap) -> bool {
    let path = uri.path();
    // The authorization endpoint answers people (see ui/authorize.rs).
    if path.starts_with(paths::AUTHORIZE) {
        return false;
    }
    path.starts_with("/oauth/")
        || path.starts_with("/.well-known/")
        || path == paths::HEALTH
        || path == paths::OPENAPI
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// REQUEST_TIMEOUT: a request still running then is dropped and answered
/// 503, as OAuth JSON (`temporarily_unavailable`) or as a page, so a
/// client can tell "try again" from a bug (an empty 408 said neither).
async fn deadline(
    axum::extract::State(limit): axum::extract::State<Duration>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    let json = wants_json(request.uri(), request.headers());
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) if json => ApiError::timed_out().into_response(),
        Err(_) => {
            error::PageError::Unavailable("the request took longer than REQUEST_TIMEOUT".into())
                .into_response()
        }
    }
}

/// The session layer answers an empty 500 when it cannot save the session:
/// the database refused the write. Shown as the outage it is, with a page.
async fn unsaved_sessions(request: axum::extract::Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        return error::PageError::Unavailable("the session could not be saved".into())
            .into_response();
    }
    response
}

/// 404: JSON for API clients, a page for people.
async fn not_found(uri: Uri, headers: HeaderMap) -> Response {
    if wants_json(&uri, &headers) {
        (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({
                "error": "not_found",
                "error_description": "no such endpoint",
            })),
        )
            .into_response()
    } else {
        error::PageError::NotFound.into_response()
    }
}

/// A panic is a bug: log it and answer like any other internal error.
fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError(Error::Internal("handler panicked".into())).into_response()
}
