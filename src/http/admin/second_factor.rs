//! `POST /admin/users/{id}/second-factor`, `/admin/clients/{id}/second-factor`
//! and `/admin/second-factor`: who must use a second factor (see
//! `domain/step_up.rs`). Each posts `required=on|off` and goes back to the
//! page it came from.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::extract::{AdminUser, IdPath};

use crate::domain::admin::{self, Ctx};
use crate::http::error::PageError;
use crate::http::paths::{self, with_id, with_query};
use crate::http::ui::session::CsrfForm;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct RequiredFields {
    #[serde(default)]
    pub required: String,
}

impl RequiredFields {
    fn required(&self) -> Result<bool, PageError> {
        match self.required.as_str() {
            "on" => Ok(true),
            "off" => Ok(false),
            _ => Err(PageError::BadRequest(
                "Choose whether a second factor is required (on or off).".into(),
            )),
        }
    }
}

pub async fn for_user(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { form, .. }: CsrfForm<RequiredFields>,
) -> Result<Response, PageError> {
    let required = form.required()?;
    admin::require_second_factor_of_user(&Ctx::of(&state.core), &admin.actor(), &id, required)
        .await?;
    let back = with_query(&with_id(paths::ADMIN_USER, &id), &[("second_factor", "1")]);
    Ok(Redirect::to(&back).into_response())
}

pub async fn for_client(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { form, .. }: CsrfForm<RequiredFields>,
) -> Result<Response, PageError> {
    let required = form.required()?;
    admin::require_second_factor_for_client(&Ctx::of(&state.core), &admin.actor(), &id, required)
        .await?;
    let back = with_query(
        &with_id(paths::ADMIN_CLIENT, &id),
        &[("second_factor", "1")],
    );
    Ok(Redirect::to(&back).into_response())
}

pub async fn for_everyone(
    State(state): State<AppState>,
    admin: AdminUser,
    CsrfForm { form, .. }: CsrfForm<RequiredFields>,
) -> Result<Response, PageError> {
    let required = form.required()?;
    admin::require_second_factor_of_everyone(&Ctx::of(&state.core), &admin.actor(), required)
        .await?;
    Ok(Redirect::to(paths::ADMIN_USERS).into_response())
}
