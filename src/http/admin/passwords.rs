//! `/admin/users/{id}/password`: setting a user's password, or a generated
//! one shown once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::admin::users::{PasswordForm, password_form};
use components::admin::{SecretOnce, Section, secret_once};
use serde::Deserialize;

use super::extract::{AdminUser, IdPath};
use super::render::{Frame, admin_page};
use crate::domain::admin::{self, Ctx};
use crate::domain::user::User;
use crate::http::error::PageError;
use crate::http::paths::{self, with_id, with_query};
use crate::http::ui::session::CsrfForm;
use crate::model::Secret;
use crate::state::AppState;

fn password_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    user: &User,
    error: Option<&str>,
) -> Response {
    let action = with_id(paths::ADMIN_USER_PASSWORD, &user.id);
    let cancel = with_id(paths::ADMIN_USER, &user.id);
    let body = password_form(&PasswordForm {
        action: &action,
        csrf: &admin.web.csrf,
        username: &user.username,
        error,
        cancel: &cancel,
    });
    admin_page(
        state,
        admin,
        status,
        Frame::new(Section::Users, "Reset password"),
        body,
    )
}

pub async fn form(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
) -> Result<Response, PageError> {
    let user = admin::find_user(&Ctx::of(&state.core), &id).await?;
    Ok(password_page(&state, &admin, StatusCode::OK, &user, None))
}

#[derive(Debug, Deserialize)]
pub struct PasswordFields {
    #[serde(default)]
    pub password: Secret,
}

/// `POST /admin/users/{id}/password`: sets the typed password, or a
/// generated one shown once.
pub async fn set(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { form, web }: CsrfForm<PasswordFields>,
) -> Result<Response, PageError> {
    let ctx = Ctx::of(&state.core);
    let user = admin::find_user(&ctx, &id).await?;
    let password = match admin::password_spec(form.password.expose()) {
        Ok(p) => p,
        Err(e) => {
            return Ok(password_page(
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &user,
                Some(&e.message),
            ));
        }
    };
    let user_href = with_id(paths::ADMIN_USER, &user.id);
    let generated = admin::set_user_password(&ctx, &admin.actor(), &user.id, password).await?;
    // Every session of the user ends, except the one that set it.
    if user.id == admin.user.id {
        web.renew_stamp(&admin::find_user(&ctx, &user.id).await?)
            .await?;
    }
    match generated {
        None => Ok(Redirect::to(&with_query(&user_href, &[("password", "1")])).into_response()),
        Some(generated) => {
            let body = secret_once(&SecretOnce {
                title: &format!("New password for {}", user.username),
                message: "Give them this password over a safe channel.",
                values: vec![
                    ("Username", user.username.as_str()),
                    ("Password", generated.as_str()),
                ],
                secret: true,
                next: &user_href,
                next_label: "Back to the user",
            });
            Ok(admin_page(
                &state,
                &admin,
                StatusCode::OK,
                Frame::new(Section::Users, "Password reset"),
                body,
            ))
        }
    }
}
