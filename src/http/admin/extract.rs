//! [`AdminUser`]: the extractor every admin route starts with, and
//! [`IdPath`], the `{id}` of a path without axum's plain-text rejection.
//!
//! PostgreSQL text cannot hold NUL, and the admin pages pass their query
//! filters (and path ids) to queries: a `%00` is refused here, in one place
//! for every admin page, rather than failing a query with a 500.

use std::net::IpAddr;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use components::error_page::{ErrorPage, error_body};

use crate::domain::admin::Actor;
use crate::domain::user::{Role, User};
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::http::ui::render::{html, is_htmx, page};
use crate::http::ui::session::{WebSession, login_url, safe_next};
use crate::state::AppState;

/// A signed-in administrator. Signed-out visitors are sent to sign-in (and
/// come back); signed-in people without the role get a 403 page.
#[derive(Debug, Clone)]
pub struct AdminUser {
    pub web: WebSession,
    pub user: User,
    pub ip: Option<IpAddr>,
}

impl AdminUser {
    /// The administrator as the audit log records them.
    pub fn actor(&self) -> Actor {
        Actor::admin(&self.user, self.ip)
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let web = WebSession::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let htmx = is_htmx(&parts.headers);
        let Some(user) = web.user.clone() else {
            return Err(to_sign_in(parts, htmx));
        };
        if user.role != Role::Admin {
            tracing::warn!(user_id = %user.id, path = %parts.uri.path(), "admin area refused to a non-administrator");
            return Err(forbidden(state, &web, htmx));
        }
        if parts.uri.query().is_some_and(has_nul) {
            return Err(PageError::BadRequest(
                "The address contains characters that are not allowed.".into(),
            )
            .into_response());
        }
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        Ok(AdminUser { web, user, ip })
    }
}

/// To sign-in and back. A polling htmx request must not swap the sign-in
/// page into a table: it is told to load it as a page instead.
fn to_sign_in(parts: &Parts, htmx: bool) -> Response {
    if htmx {
        let here = current_page(&parts.headers).unwrap_or_else(|| paths::ADMIN.to_owned());
        let mut response = StatusCode::NO_CONTENT.into_response();
        if let Ok(value) = HeaderValue::from_str(&login_url(&here)) {
            response.headers_mut().insert("hx-redirect", value);
        }
        return response;
    }
    let here = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or(paths::ADMIN);
    Redirect::to(&login_url(here)).into_response()
}

/// The local path and query of the page an htmx request came from. A
/// query with a NUL in it cannot be one of ours: the path alone is kept.
pub fn current_page(headers: &HeaderMap) -> Option<String> {
    let url = headers.get("hx-current-url")?.to_str().ok()?;
    let url = url::Url::parse(url).ok()?;
    let local = match url.query().filter(|q| !has_nul(q)) {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    Some(safe_next(Some(&local)))
}

/// Whether `query` decodes to a NUL in any name or value.
fn has_nul(query: &str) -> bool {
    form_urlencoded::parse(query.as_bytes()).any(|(n, v)| n.contains('\0') || v.contains('\0'))
}

/// The styled 403 page, with the person's own header. htmx requests
/// (a role removed while a live page was open) reload the page to show it.
fn forbidden(state: &AppState, web: &WebSession, htmx: bool) -> Response {
    let title = "Administrators only";
    let body = error_body(&ErrorPage {
        status: 403,
        title,
        message: "This part of AuthGate is for administrators. Ask one if you need access.",
        request_id: None,
        home: paths::HOME,
    });
    let mut response = html(StatusCode::FORBIDDEN, page(state, web, title, body));
    if htmx {
        response
            .headers_mut()
            .insert("hx-refresh", HeaderValue::from_static("true"));
    }
    response
}

/// The `{id}` segment of an admin path.
#[derive(Debug, Clone)]
pub struct IdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // PostgreSQL cannot store NUL in text: such an id matches nothing,
        // so it is a 404 here rather than a database error later.
        Path::<String>::from_request_parts(parts, state)
            .await
            .ok()
            .filter(|Path(id)| !id.contains('\0'))
            .map(|Path(id)| IdPath(id))
            .ok_or(PageError::NotFound)
    }
}
