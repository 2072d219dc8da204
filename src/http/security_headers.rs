//! Security headers on every response.
//!
//! The CSP allows only our own scripts and styles (no inline script, no
//! eval; htmx is configured accordingly), and `frame-ancestors 'none'` with
//! `X-Frame-Options: DENY` keeps the consent page from being framed
//! (clickjacking). Handlers may set their own value first; these only fill
//! in what is missing.

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// `--dev` only: the live-reload script is inline.
const DEV_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The CSP of a page whose form may end at `source` (a CSP source
/// expression, e.g. an application's origin) besides this server: the
/// authorization consent, whose answer redirects to the application.
pub fn csp_with_form_target(dev: bool, source: &str) -> Option<HeaderValue> {
    let base = if dev { DEV_CSP } else { CSP };
    HeaderValue::try_from(base.replace(
        "form-action 'self'",
        &format!("form-action 'self' {source}"),
    ))
    .ok()
}

/// Wraps `router` in the header layers; `https` adds HSTS, `dev` relaxes
/// the CSP for the inline live-reload script.
pub fn apply(router: Router, https: bool, dev: bool) -> Router {
    let router = router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if dev { DEV_CSP } else { CSP }),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ));
    if https {
        router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ))
    } else {
        router
    }
}
