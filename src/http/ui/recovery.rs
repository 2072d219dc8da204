//! Recovery codes on `/account`: the section that counts them and makes a
//! new set, and the page that shows a new set once (after turning
//! two-step sign-in on, or after asking for new codes).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::recovery::{CodesShown, RecoverySection, codes_shown, recovery_section};
use maud::Markup;

use super::render::{html, page};
use super::session::{CsrfForm, SignedIn, WebSession};
use super::two_step::Nothing;
use crate::domain::user::User;
use crate::domain::{Error, recovery, totp};
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::state::AppState;

/// The "Recovery codes" section of `/account`, while two-step sign-in is on.
pub async fn section(
    state: &AppState,
    web: &WebSession,
    user: &User,
) -> Result<Option<Markup>, PageError> {
    if !totp::is_on(&state.core, &user.id).await? {
        return Ok(None);
    }
    let count = recovery::count(&state.core, &user.id).await?;
    Ok(Some(recovery_section(&RecoverySection {
        csrf: &web.csrf,
        left: count.left,
        total: count.total,
        regenerate_action: paths::ACCOUNT_RECOVERY_CODES,
    })))
}

/// The one showing of a new set. The response is `no-store` (see
/// [`html`]): a back button or a shared cache must not show it again.
pub fn shown(
    state: &AppState,
    web: &WebSession,
    codes: &[String],
    intro: Option<&str>,
    next: &str,
) -> Response {
    let body = codes_shown(&CodesShown { codes, intro, next });
    html(
        StatusCode::OK,
        page(state, web, "Save your recovery codes", body),
    )
}

/// `POST /account/recovery-codes`: a new set, shown once; the old one
/// stops working.
pub async fn regenerate(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn { web, user }: SignedIn,
    CsrfForm { .. }: CsrfForm<Nothing>,
) -> Result<Response, PageError> {
    match recovery::generate(&state.core, &user.id, ip).await {
        Ok(codes) => {
            let next = format!("{}#recovery-codes", paths::ACCOUNT);
            Ok(shown(&state, &web, &codes, None, &next))
        }
        // Two-step sign-in is off (turned off in another tab): the
        // account page says so.
        Err(Error::Refused(_)) => {
            Ok(Redirect::to(&format!("{}#two-step", paths::ACCOUNT)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
