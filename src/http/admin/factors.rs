//! `/admin/users/{id}/factors/reset`: removing a person's second factors
//! (a lost phone and no recovery code left) and ending their sessions, and
//! the user page's "Two-step sign-in" panel.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use components::admin::factors::{SecondFactorsPanel, TotpStatus, second_factors_panel};
use components::admin::{Confirm, ConfirmPage, PostForm, Section};
use maud::{Markup, html};

use super::extract::{AdminUser, IdPath};
use super::render::{confirm_page, when};
use crate::domain::admin::{self, Ctx, SecondFactors};
use crate::http::error::PageError;
use crate::http::paths::{self, with_id, with_query};
use crate::http::ui::login::Empty;
use crate::http::ui::session::CsrfForm;
use crate::state::AppState;

fn totp_status(f: &SecondFactors, now: i64) -> TotpStatus {
    match f.totp_since {
        Some(since) => TotpStatus::On {
            since: when(since, now),
        },
        None if f.totp_enrolling => TotpStatus::SettingUp,
        None => TotpStatus::Off,
    }
}

/// The user page's panel of `user_id`'s second factors.
pub async fn panel(state: &AppState, user_id: &str) -> Result<Markup, PageError> {
    let factors = admin::second_factors(&Ctx::of(&state.core), user_id).await?;
    let now = state.core.clock.now_secs();
    Ok(second_factors_panel(&SecondFactorsPanel {
        totp: totp_status(&factors, now),
        recovery_left: factors.recovery.left,
        recovery_total: factors.recovery.total,
        passkeys: factors.passkeys,
        reset_href: with_id(paths::ADMIN_USER_FACTORS_RESET, user_id),
    }))
}

/// `GET`: what a reset removes, and the button that does it.
pub async fn confirm_reset(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
) -> Result<Response, PageError> {
    let ctx = Ctx::of(&state.core);
    let user = admin::find_user(&ctx, &id).await?;
    let factors = admin::second_factors(&ctx, &user.id).await?;
    let now = state.core.clock.now_secs();
    let action = with_id(paths::ADMIN_USER_FACTORS_RESET, &user.id);
    let cancel = with_id(paths::ADMIN_USER, &user.id);
    let question = format!("Reset two-step sign-in of {}?", user.username);
    let consequence = if user.id == admin.user.id {
        "Their authenticator app, recovery codes and passkeys are removed, and every browser session of theirs ends, this one included: you will sign in again with your password alone."
    } else {
        "Their authenticator app, recovery codes and passkeys are removed, and every browser session of theirs ends. They sign in with their password alone and can set two-step sign-in up again. Check first that the request really comes from them."
    };
    let totp = match totp_status(&factors, now) {
        TotpStatus::On { since } => html! { "On since " (components::admin::when(&since)) },
        TotpStatus::SettingUp => html! { "Being set up" },
        TotpStatus::Off => html! { "Off" },
    };
    let page = ConfirmPage {
        confirm: Confirm {
            question: &question,
            consequence,
            verb: "Reset two-step sign-in",
            post: PostForm::new(&action, &admin.web.csrf),
        },
        details: vec![
            ("Authenticator app", totp),
            (
                "Recovery codes left",
                html! { (factors.recovery.left) " of " (factors.recovery.total) },
            ),
        ],
        cancel: &cancel,
    };
    Ok(confirm_page(
        &state,
        &admin,
        Section::Users,
        "Reset two-step sign-in",
        &page,
    ))
}

/// `POST`: removes the factors, ends the sessions, back to the user page.
pub async fn reset(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    admin::reset_factors(&Ctx::of(&state.core), &admin.actor(), &id).await?;
    let back = with_query(&with_id(paths::ADMIN_USER, &id), &[("factors_reset", "1")]);
    Ok(Redirect::to(&back).into_response())
}
