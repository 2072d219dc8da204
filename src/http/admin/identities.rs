//! The user page's linked upstream accounts, and an administrator's
//! Unlink (never the person's last way to sign in, as on `/account`).

use axum::extract::State;
use axum::response::Response;
use components::admin::identities::{IdentitiesPanel, IdentityRow, identities_panel};
use maud::Markup;
use serde::Deserialize;

use super::extract::{AdminUser, IdPath};
use super::render::when;
use crate::domain::admin::{self, Ctx};
use crate::domain::upstream::links;
use crate::domain::user::User;
use crate::http::error::PageError;
use crate::http::paths::{self, with_id};
use crate::http::ui::session::CsrfForm;
use crate::state::AppState;

/// The panel of `user`'s linked upstream accounts.
pub async fn panel(state: &AppState, csrf: &str, user: &User) -> Result<Markup, PageError> {
    let linked = links::identities(&state.core, &user.id).await?;
    let now = state.core.clock.now_secs();
    let action = with_id(paths::ADMIN_USER_UPSTREAM_UNLINK, &user.id);
    Ok(identities_panel(&IdentitiesPanel {
        csrf,
        unlink_action: &action,
        rows: linked
            .iter()
            .map(|i| IdentityRow {
                provider: &i.provider_label,
                provider_id: &i.provider_id,
                subject: &i.subject,
                linked: when(i.created_at.0, now),
                last_used: when(i.last_used_at.0, now),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct UnlinkFields {
    #[serde(default)]
    pub provider_id: String,
}

/// `POST /admin/users/{id}/upstream/unlink`.
pub async fn unlink(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { form, .. }: CsrfForm<UnlinkFields>,
) -> Result<Response, PageError> {
    let user = admin::find_user(&Ctx::of(&state.core), &id).await?;
    let outcome = links::unlink_by_admin(&state.core, &admin.actor(), &user, &form.provider_id)
        .await
        .map(|()| true);
    super::users::after_change(&state, &admin, &id, outcome, "unlinked").await
}
