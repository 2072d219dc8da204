//! `/admin/users/{id}/profile`: an administrator sets a user's e-mail
//! address, whether it is verified, and display name (the OpenID Connect
//! claims of the `email` and `profile` scopes).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::admin::Section;
use components::admin::profile::{ProfileErrors, ProfileForm, profile_form};
use serde::Deserialize;

use super::extract::{AdminUser, IdPath};
use super::render::{Frame, admin_page, field_message};
use crate::domain::admin::{self, Ctx, FieldError};
use crate::domain::user::User;
use crate::http::error::PageError;
use crate::http::paths::{self, with_id, with_query};
use crate::http::ui::session::CsrfForm;
use crate::state::AppState;

/// The form as typed (a re-rendered form shows what was typed).
#[derive(Debug, Deserialize, Default)]
pub struct ProfileFields {
    #[serde(default)]
    pub email: String,
    /// A checkbox: present when ticked.
    pub email_verified: Option<String>,
    #[serde(default)]
    pub name: String,
}

impl ProfileFields {
    fn of(user: &User) -> Self {
        Self {
            email: user.profile.email.clone().unwrap_or_default(),
            email_verified: user.profile.email_verified.then(|| "on".into()),
            name: user.profile.name.clone().unwrap_or_default(),
        }
    }
}

fn profile_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    user: &User,
    fields: &ProfileFields,
    errors: &[FieldError],
) -> Response {
    let action = with_id(paths::ADMIN_USER_PROFILE, &user.id);
    let cancel = with_id(paths::ADMIN_USER, &user.id);
    let body = profile_form(&ProfileForm {
        action: &action,
        csrf: &admin.web.csrf,
        username: &user.username,
        email: &fields.email,
        email_verified: fields.email_verified.is_some(),
        name: &fields.name,
        errors: ProfileErrors {
            email: field_message(errors, "email"),
            name: field_message(errors, "name"),
        },
        cancel: &cancel,
    });
    admin_page(
        state,
        admin,
        status,
        Frame::new(Section::Users, "Edit profile"),
        body,
    )
}

pub async fn form(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
) -> Result<Response, PageError> {
    let user = admin::find_user(&Ctx::of(&state.core), &id).await?;
    let fields = ProfileFields::of(&user);
    Ok(profile_page(
        &state,
        &admin,
        StatusCode::OK,
        &user,
        &fields,
        &[],
    ))
}

/// `POST /admin/users/{id}/profile`: saves the profile. The box shows the
/// stored verification, so a box left ticked while the address changes is
/// not a word on the new address (which then counts as unverified); one
/// ticked by the administrator in the same change is.
pub async fn set(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { form, .. }: CsrfForm<ProfileFields>,
) -> Result<Response, PageError> {
    let ctx = Ctx::of(&state.core);
    let user = admin::find_user(&ctx, &id).await?;
    let ticked = form.email_verified.is_some();
    let address_changed = form.email.trim() != user.profile.email.as_deref().unwrap_or("");
    let verified = match (ticked, address_changed && user.profile.email_verified) {
        (false, _) => Some(false),
        (true, true) => None,
        (true, false) => Some(true),
    };
    let spec = match admin::profile_spec(&form.email, verified, &form.name) {
        Ok(spec) => spec,
        Err(errors) => {
            return Ok(profile_page(
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &user,
                &form,
                &errors,
            ));
        }
    };
    admin::set_user_profile(&ctx, &admin.actor(), &user.id, &spec).await?;
    let back = with_query(&with_id(paths::ADMIN_USER, &user.id), &[("profile", "1")]);
    Ok(Redirect::to(&back).into_response())
}
