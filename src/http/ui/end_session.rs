//! `GET/POST /oauth/logout`: the end-session endpoint of OpenID Connect
//! RP-Initiated Logout 1.0 (rules in `domain/logout.rs`).
//!
//! A request with an `id_token_hint` naming the signed-in person signs
//! them out at once; any other asks them on a page whose CSRF form posts
//! the same parameters back with `confirm=1`. Afterwards the browser goes
//! to the registered post-logout URI (303, with `state`) or sees a
//! signed-out page.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use components::logout::{LogoutConfirm, logout_confirm, signed_out};

use super::render::{html, page};
use super::session::WebSession;
use crate::crypto::constant_time_eq;
use crate::domain::logout::{self, LogoutParams, LogoutRequest};
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::openapi::FORM;
use crate::http::{paths, security_headers};
use crate::model::redirect_uri;
use crate::state::AppState;
use utoipa::ToSchema;

/// The POST body, as documented (read as raw form pairs).
#[derive(Debug, ToSchema)]
pub struct LogoutForm {
    #[schema(nullable = false)]
    pub id_token_hint: Option<String>,
    #[schema(nullable = false)]
    pub client_id: Option<String>,
    #[schema(nullable = false)]
    pub post_logout_redirect_uri: Option<String>,
    #[schema(nullable = false)]
    pub state: Option<String>,
    /// The session's CSRF token, with `confirm=1`, from the confirmation page.
    #[schema(nullable = false)]
    pub csrf_token: Option<String>,
    #[schema(nullable = false)]
    pub confirm: Option<String>,
}

/// The end-session endpoint, as a link or redirect from an application.
#[utoipa::path(
    get,
    path = paths::END_SESSION,
    tag = "sign-in for apps",
    params(
        ("id_token_hint" = Option<String>, Query, description = "An ID token this server issued (expired is fine)"),
        ("client_id" = Option<String>, Query),
        ("post_logout_redirect_uri" = Option<String>, Query, description = "Followed only when registered for the client"),
        ("state" = Option<String>, Query, description = "Echoed to the post-logout redirect URI"),
    ),
    responses(
        (status = 200, description = "A confirmation, or the signed-out page", content_type = "text/html", body = String),
        (status = 303, description = "Signed out: to the post-logout redirect URI", headers(("Location" = String))),
        (status = 400, description = "An error page: a hint this server did not sign, an unknown client", content_type = "text/html", body = String),
    )
)]
pub async fn end_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    web: WebSession,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = LogoutParams::parse(query.unwrap_or_default().as_bytes());
    answer(&state, ip.map(|ip| ip.to_string()), web, params, false).await
}

/// The same by form POST (from an application, or the confirmation page:
/// then with the session's `csrf_token` and `confirm=1`).
#[utoipa::path(
    post,
    path = paths::END_SESSION,
    tag = "sign-in for apps",
    request_body(content = LogoutForm, content_type = FORM),
    responses(
        (status = 200, description = "A confirmation, or the signed-out page", content_type = "text/html", body = String),
        (status = 303, description = "Signed out: to the post-logout redirect URI", headers(("Location" = String))),
        (status = 400, description = "An error page: a hint this server did not sign, an unknown client", content_type = "text/html", body = String),
        (status = 403, description = "A confirmation whose CSRF token is missing or wrong", content_type = "text/html", body = String),
    )
)]
pub async fn end_session_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    web: WebSession,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let body = body.map_err(|_| PageError::BadRequest("The form could not be read.".into()))?;
    let params = LogoutParams::parse(&body);
    let mut token = None;
    let mut confirm = false;
    for (name, value) in form_urlencoded::parse(&body) {
        match name.as_ref() {
            "csrf_token" if token.is_none() => token = Some(value.into_owned()),
            "confirm" => confirm = value == "1",
            _ => {}
        }
    }
    let confirmed = confirm
        && token
            .is_some_and(|t| !t.is_empty() && constant_time_eq(t.as_bytes(), web.csrf.as_bytes()));
    if confirm && !confirmed {
        return Err(PageError::Forbidden(
            "This form has expired or did not come from AuthGate. Go back, reload the page and try again."
                .into(),
        ));
    }
    answer(&state, ip.map(|ip| ip.to_string()), web, params, confirmed).await
}

async fn answer(
    state: &AppState,
    ip: Option<String>,
    web: WebSession,
    params: LogoutParams,
    confirmed: bool,
) -> Result<Response, PageError> {
    let request = logout::check(&state.core, params).await?;
    let Some(user) = web.user.clone() else {
        return Ok(done(state, &web, &request));
    };
    if !(confirmed || request.names(&user.id)) {
        return Ok(confirm_page(state, &web, &user.username, &request));
    }
    logout::sign_out(&state.core, &user.id, &request, ip).await?;
    web.sign_out().await?;
    let gone = WebSession { user: None, ..web };
    Ok(done(state, &gone, &request))
}

/// After signing out (or with nobody signed in): the registered
/// post-logout URI, else the signed-out page.
fn done(state: &AppState, web: &WebSession, request: &LogoutRequest) -> Response {
    if let Some(location) = request
        .return_to
        .as_deref()
        .and_then(|uri| HeaderValue::try_from(uri).ok())
    {
        let mut response = StatusCode::SEE_OTHER.into_response();
        response.headers_mut().insert(header::LOCATION, location);
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return response;
    }
    let app = request.client.as_ref().map(|c| c.name.as_str());
    let body = signed_out(app, paths::LOGIN);
    html(StatusCode::OK, page(state, web, "Signed out", body))
}

fn confirm_page(
    state: &AppState,
    web: &WebSession,
    account: &str,
    request: &LogoutRequest,
) -> Response {
    let p = &request.params;
    let carried: Vec<(&str, &str)> = [
        ("id_token_hint", &p.id_token_hint),
        ("client_id", &p.client_id),
        ("post_logout_redirect_uri", &p.post_logout_redirect_uri),
        ("state", &p.state),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
    .collect();
    let body = logout_confirm(&LogoutConfirm {
        action: paths::END_SESSION,
        csrf: &web.csrf,
        app_name: request.client.as_ref().map(|c| c.name.as_str()),
        account,
        carried,
        cancel: paths::ACCOUNT,
    });
    let mut response = html(StatusCode::OK, page(state, web, "Sign out?", body));
    // The POST's 303 may leave for the application: Chromium checks that
    // redirect against this page's `form-action`.
    if let Some(csp) = request
        .return_to
        .as_deref()
        .and_then(redirect_uri::csp_source)
        .and_then(|source| security_headers::csp_with_form_target(state.http.dev, &source))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}
