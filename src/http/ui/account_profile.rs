//! `/account/profile`: the signed-in person sets their own display name
//! (the `name` claim). Shown on `/account` as its own card.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::profile::{ProfileCard, profile_card};
use maud::Markup;
use serde::Deserialize;

use super::render::{html, page};
use super::session::{CsrfForm, SignedIn};
use crate::domain::Error;
use crate::domain::admin::{self, Ctx};
use crate::domain::user::User;
use crate::http::error::PageError;
use crate::http::paths;
use crate::state::AppState;

/// The card for `user`, with the name as stored (or `typed` after a refusal).
pub fn card(
    csrf: &str,
    user: &User,
    typed: Option<&str>,
    error: Option<&str>,
    saved: bool,
) -> Markup {
    profile_card(&ProfileCard {
        action: paths::ACCOUNT_PROFILE,
        csrf,
        name: typed.unwrap_or(user.profile.name.as_deref().unwrap_or("")),
        email: user.profile.email.as_deref(),
        error,
        saved,
    })
}

#[derive(Debug, Deserialize)]
pub struct NameFields {
    #[serde(default)]
    pub name: String,
}

/// `POST /account/profile`: saves the name and goes back to `/account`; a
/// refused name is shown again in the card with the reason.
pub async fn set_name(
    State(state): State<AppState>,
    SignedIn { web, user }: SignedIn,
    CsrfForm { form, .. }: CsrfForm<NameFields>,
) -> Result<Response, PageError> {
    match admin::set_own_name(&Ctx::of(&state.core), &user.id, &form.name).await {
        Ok(()) => Ok(Redirect::to(&format!("{}?profile=1", paths::ACCOUNT)).into_response()),
        Err(Error::InvalidRequest(why)) => {
            let body = card(&web.csrf, &user, Some(&form.name), Some(&why), false);
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&state, &web, "Your profile", body),
            ))
        }
        Err(e) => Err(e.into()),
    }
}
