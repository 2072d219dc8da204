//! `/admin/users`: list and create users, disable and enable them, reset
//! passwords, grant and remove the administrator role.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::admin::users::{
    NewUserForm, UserErrors, UserPage, UserRow, UsersPage, new_user_form, user_page, users_page,
};
use components::admin::{Confirm, ConfirmPage, Pager, PostForm, SecretOnce, Section, secret_once};
use components::feedback::Tone;
use maud::html;
use serde::Deserialize;

use super::extract::{AdminUser, IdPath};
use super::render::{Frame, admin_page, confirm_page, field_message, notice, when};
use crate::domain::admin::{self, Ctx, FieldError};
use crate::domain::user::{Role, User};
use crate::domain::{Error, throttle};
use crate::http::error::PageError;
use crate::http::paths::{self, with_id, with_query};
use crate::http::ui::login::Empty;
use crate::http::ui::render::query_param;
use crate::http::ui::session::CsrfForm;
use crate::model::Secret;
use crate::state::AppState;
use crate::store::TokenOwner;

pub async fn list(
    State(state): State<AppState>,
    admin: AdminUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let q = query.as_deref();
    let search = query_param(q, "q").unwrap_or_default();
    let after = query_param(q, "after").filter(|a| !a.is_empty());
    let page = admin::users(&Ctx::of(&state.core), Some(&search), after.as_deref()).await?;
    let now = state.core.clock.now_secs();
    let rows = page
        .rows
        .iter()
        .map(|u| UserRow {
            username: &u.username,
            href: with_id(paths::ADMIN_USER, &u.id),
            admin: u.role == Role::Admin,
            disabled: u.disabled,
            active_tokens: u.active_tokens,
            tokens_href: with_query(
                paths::ADMIN_TOKENS,
                &[("user", &u.id), ("status", "active")],
            ),
            created: when(u.created_at, now),
            is_you: u.id == admin.user.id,
        })
        .collect();
    let search = search.trim();
    let body = users_page(&UsersPage {
        form_action: paths::ADMIN_USERS,
        search,
        new_href: paths::ADMIN_USERS_NEW,
        rows,
        pager: Pager::ByName {
            first: after
                .is_some()
                .then(|| with_query(paths::ADMIN_USERS, &[("q", search)])),
            next: page
                .next_after
                .map(|a| with_query(paths::ADMIN_USERS, &[("q", search), ("after", &a)])),
        },
        csrf: &admin.web.csrf,
        everyone_requires_second_factor: admin::second_factor_required_of_everyone(&Ctx::of(
            &state.core,
        ))
        .await?,
        second_factor_action: paths::ADMIN_SECOND_FACTOR,
    });
    let frame =
        Frame::new(Section::Users, "Users").subtitle("People who can sign in and approve devices.");
    Ok(admin_page(&state, &admin, StatusCode::OK, frame, body))
}

#[derive(Debug, Deserialize, Default)]
pub struct NewUserFields {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: Secret,
    /// A checkbox: present when ticked.
    pub admin: Option<String>,
}

fn new_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    fields: &NewUserFields,
    errors: &[FieldError],
) -> Response {
    let body = new_user_form(&NewUserForm {
        action: paths::ADMIN_USERS,
        csrf: &admin.web.csrf,
        username: &fields.username,
        admin: fields.admin.is_some(),
        errors: UserErrors {
            username: field_message(errors, "username"),
            password: field_message(errors, "password"),
        },
        cancel: paths::ADMIN_USERS,
    });
    let frame = Frame::new(Section::Users, "New user")
        .notice((!errors.is_empty()).then_some((Tone::Error, "Check the highlighted fields.")));
    admin_page(state, admin, status, frame, body)
}

pub async fn new_form(State(state): State<AppState>, admin: AdminUser) -> Response {
    new_page(
        &state,
        &admin,
        StatusCode::OK,
        &NewUserFields::default(),
        &[],
    )
}

/// `POST /admin/users`: creates a user; a generated password is shown once.
pub async fn create(
    State(state): State<AppState>,
    admin: AdminUser,
    CsrfForm { form, .. }: CsrfForm<NewUserFields>,
) -> Result<Response, PageError> {
    let role = if form.admin.is_some() {
        Role::Admin
    } else {
        Role::User
    };
    let spec = match admin::user_spec(&form.username, form.password.expose(), role) {
        Ok(spec) => spec,
        Err(errors) => {
            return Ok(new_page(
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
            ));
        }
    };
    let created = match admin::create_user(&Ctx::of(&state.core), &admin.actor(), &spec).await {
        Ok(created) => created,
        Err(Error::InvalidRequest(_)) => {
            let errors = [FieldError {
                field: "username",
                message: "That username is taken.".into(),
            }];
            return Ok(new_page(
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let user_href = with_id(paths::ADMIN_USER, &created.user.id);
    match &created.generated_password {
        None => Ok(Redirect::to(&with_query(&user_href, &[("created", "1")])).into_response()),
        Some(password) => {
            let body = secret_once(&SecretOnce {
                title: &format!("User {} created", created.user.username),
                message: "Give them this password over a safe channel.",
                values: vec![
                    ("Username", created.user.username.as_str()),
                    ("Password", password.as_str()),
                ],
                secret: true,
                next: &user_href,
                next_label: "Go to the user",
            });
            Ok(admin_page(
                &state,
                &admin,
                StatusCode::CREATED,
                Frame::new(Section::Users, "User created"),
                body,
            ))
        }
    }
}

async fn detail_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    user: &User,
    notice: Option<(Tone, &str)>,
) -> Result<Response, PageError> {
    let live = admin::live_tokens(&Ctx::of(&state.core), TokenOwner::User(&user.id)).await?;
    let now = state.core.clock.now_secs();
    let locked_until = throttle::locked_until(&state.core.store, &user.username, now)
        .await?
        .map(|until| when(until, now));
    let body = user_page(&UserPage {
        username: &user.username,
        admin: user.role == Role::Admin,
        disabled: user.disabled,
        created: when(user.created_at, state.core.clock.now_secs()),
        active_tokens: live,
        is_you: user.id == admin.user.id,
        csrf: &admin.web.csrf,
        tokens_href: with_query(
            paths::ADMIN_TOKENS,
            &[("user", &user.id), ("status", "active")],
        ),
        revoke_tokens_href: with_query(paths::ADMIN_TOKENS_REVOKE, &[("user", &user.id)]),
        password_href: with_id(paths::ADMIN_USER_PASSWORD, &user.id),
        role_action: with_id(paths::ADMIN_USER_ROLE, &user.id),
        disable_href: with_id(paths::ADMIN_USER_DISABLE, &user.id),
        enable_action: with_id(paths::ADMIN_USER_ENABLE, &user.id),
        locked_until,
        unlock_action: with_id(paths::ADMIN_USER_UNLOCK, &user.id),
        email: user.profile.email.as_deref(),
        email_verified: user.profile.email_verified,
        name: user.profile.name.as_deref(),
        profile_href: with_id(paths::ADMIN_USER_PROFILE, &user.id),
        second_factor_required: user.require_second_factor,
        second_factor_required_of_everyone: admin::second_factor_required_of_everyone(&Ctx::of(
            &state.core,
        ))
        .await?,
        second_factor_action: with_id(paths::ADMIN_USER_SECOND_FACTOR, &user.id),
        second_factors: super::factors::panel(state, &user.id).await?,
        identities: super::identities::panel(state, &admin.web.csrf, user).await?,
    });
    let frame = Frame::new(Section::Users, &user.username).notice(notice);
    Ok(admin_page(state, admin, status, frame, body))
}

pub async fn show(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let user = admin::find_user(&Ctx::of(&state.core), &id).await?;
    let notice = notice(
        query.as_deref(),
        &[
            ("created", "User created."),
            (
                "disabled",
                "Account disabled: they cannot sign in, and their tokens stop working.",
            ),
            ("enabled", "Account enabled."),
            ("password", "Password changed."),
            ("role", "Role changed."),
            ("unlocked", "Sign-in lock-outs cleared."),
            ("profile", "Profile saved."),
            ("second_factor", "Second-factor rule saved."),
            (
                "unlinked",
                "Linked account removed: they can no longer sign in with it.",
            ),
            (
                "factors_reset",
                "Two-step sign-in reset: their authenticator app and recovery codes are removed, and their sessions ended.",
            ),
        ],
    );
    detail_page(
        &state,
        &admin,
        StatusCode::OK,
        &user,
        notice.map(|n| (Tone::Success, n)),
    )
    .await
}

/// Redirects to the user page with `done`, or shows it with the refusal.
pub(super) async fn after_change(
    state: &AppState,
    admin: &AdminUser,
    id: &str,
    outcome: Result<bool, Error>,
    done: &str,
) -> Result<Response, PageError> {
    match outcome {
        Ok(_) => {
            let back = with_query(&with_id(paths::ADMIN_USER, id), &[(done, "1")]);
            Ok(Redirect::to(&back).into_response())
        }
        Err(Error::Refused(why)) => {
            let user = admin::find_user(&Ctx::of(&state.core), id).await?;
            detail_page(
                state,
                admin,
                StatusCode::FORBIDDEN,
                &user,
                Some((Tone::Error, &why)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn confirm_disable(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
) -> Result<Response, PageError> {
    let ctx = Ctx::of(&state.core);
    let user = admin::find_user(&ctx, &id).await?;
    if user.id == admin.user.id {
        return detail_page(
            &state,
            &admin,
            StatusCode::FORBIDDEN,
            &user,
            Some((Tone::Error, "You cannot disable your own account.")),
        )
        .await;
    }
    let live = admin::live_tokens(&ctx, TokenOwner::User(&user.id)).await?;
    let action = with_id(paths::ADMIN_USER_DISABLE, &user.id);
    let cancel = with_id(paths::ADMIN_USER, &user.id);
    let question = format!("Disable {}?", user.username);
    let page = ConfirmPage {
        confirm: Confirm {
            question: &question,
            consequence: "They can no longer sign in, and their access and refresh tokens stop working while the account is disabled. You can enable it again later.",
            verb: "Disable account",
            post: PostForm::new(&action, &admin.web.csrf),
        },
        details: vec![("Active tokens", html! { (live) })],
        cancel: &cancel,
    };
    Ok(confirm_page(
        &state,
        &admin,
        Section::Users,
        "Disable account",
        &page,
    ))
}

pub async fn disable(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let outcome = admin::set_user_disabled(&Ctx::of(&state.core), &admin.actor(), &id, true).await;
    after_change(&state, &admin, &id, outcome, "disabled").await
}

pub async fn enable(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let outcome = admin::set_user_disabled(&Ctx::of(&state.core), &admin.actor(), &id, false).await;
    after_change(&state, &admin, &id, outcome, "enabled").await
}

#[derive(Debug, Deserialize)]
pub struct RoleFields {
    #[serde(default)]
    pub role: String,
}

pub async fn set_role(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { form, .. }: CsrfForm<RoleFields>,
) -> Result<Response, PageError> {
    let role = Role::parse(&form.role)
        .ok_or_else(|| PageError::BadRequest("Choose the role user or admin.".into()))?;
    let outcome = admin::set_user_role(&Ctx::of(&state.core), &admin.actor(), &id, role).await;
    after_change(&state, &admin, &id, outcome, "role").await
}

/// Clears the user's sign-in lock-outs (from every address).
pub async fn unlock(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let outcome = admin::unlock_user(&Ctx::of(&state.core), &admin.actor(), &id).await;
    after_change(&state, &admin, &id, outcome, "unlocked").await
}
