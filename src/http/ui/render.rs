//! Turning components into responses: full pages, htmx partials, errors.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use components::error_page::{ErrorPage, error_body};
use components::layout;
use components::{Account, PageCtx};
use maud::Markup;

use super::session::WebSession;
use crate::http::{assets, paths};
use crate::state::AppState;

/// Whether the request came from htmx and wants only a fragment.
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

/// A full page for the session's person.
pub fn page(state: &AppState, web: &WebSession, title: &str, body: Markup) -> Markup {
    page_with(state, web, title, layout::Width::Narrow, body)
}

/// [`page`] with a main column of `width` (the admin pages are wide).
pub fn page_with(
    state: &AppState,
    web: &WebSession,
    title: &str,
    width: layout::Width,
    body: Markup,
) -> Markup {
    let ctx = PageCtx {
        title,
        assets: &state.http.assets,
        links: &paths::LINKS,
        account: web.user.as_ref().map(|u| Account {
            username: &u.username,
            is_admin: u.role == crate::domain::user::Role::Admin,
        }),
        csrf: &web.csrf,
    };
    layout::page_with(&ctx, width, body)
}

/// `fragment` alone for htmx, or wrapped in a full page; `Vary` tells
/// caches the two differ.
pub fn page_or_fragment(
    state: &AppState,
    web: &WebSession,
    headers: &HeaderMap,
    status: StatusCode,
    title: &str,
    fragment: Markup,
    wrap: impl FnOnce(Markup) -> Markup,
) -> Response {
    let markup = if is_htmx(headers) {
        // htmx sets the document title from a <title> in the fragment.
        maud::html! { title { (title) " · AuthGate" } (fragment) }
    } else {
        page(state, web, title, wrap(fragment))
    };
    let mut response = (status, Html(markup.into_string())).into_response();
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("HX-Request"));
    no_store(&mut response);
    response
}

/// A full page response that must not be cached (it carries a CSRF token
/// and personal data).
pub fn html(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, Html(markup.into_string())).into_response();
    no_store(&mut response);
    response
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// An error page without session context (no account menu).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let assets = assets::versioned_urls();
    let ctx = PageCtx {
        title,
        assets: &assets,
        links: &paths::LINKS,
        account: None,
        csrf: "",
    };
    let body = error_body(&ErrorPage {
        status: status.as_u16(),
        title,
        message,
        request_id: None,
        home: paths::HOME,
    });
    html(status, layout::page(&ctx, body))
}

/// One parameter of a query string; malformed input just yields `None`,
/// never axum's plain-text rejection.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// HTML's `Refresh` header (not in the `http` crate's list).
const REFRESH: header::HeaderName = header::HeaderName::from_static("refresh");

/// Makes `response` (a page) move on to `url` by itself: a new navigation,
/// which a form page's CSP `form-action` does not govern, unlike the
/// redirects that follow a form submission. `false` when `url` cannot be
/// a header value.
pub fn refresh_to(response: &mut Response, url: &str) -> bool {
    match HeaderValue::try_from(format!("0; url={url}")) {
        Ok(value) => {
            response.headers_mut().insert(REFRESH, value);
            true
        }
        Err(_) => false,
    }
}

/// Where a form that signs someone in (or steps them up) sends them on to
/// `next`, a local path.
///
/// Usually a 303. But the authorization endpoint may answer at once with
/// a redirect to the application (remembered consent), and browsers hold
/// every redirect that follows a form submission to the form page's CSP
/// `form-action 'self'` (Chromium blocks it, leaving the person on the
/// sign-in form). So when `next` is an authorization request, the answer
/// is a page that moves on by itself with `Refresh`: a new navigation,
/// not a redirect of the form's, with a link for browsers that ignore it.
pub fn go_on(state: &AppState, web: &WebSession, next: &str) -> Response {
    if !next.starts_with(paths::AUTHORIZE) {
        return Redirect::to(next).into_response();
    }
    let body = components::auth::continuing(next);
    let mut response = html(StatusCode::OK, page(state, web, "Signed in", body));
    if refresh_to(&mut response, next) {
        response
    } else {
        // `next` passed `safe_next` (no control characters); should a
        // header still refuse it, the 303 is the better failure.
        Redirect::to(next).into_response()
    }
}
